import Foundation
import Testing

/// `rudp-send --interval`: what each interval carried, through a 20 Mbit/s relay so that a
/// transfer lasts long enough to have several. (The TCP side is checked by the share
/// end-to-end test, whose TCP flow's goodput comes from these lines alone.)
@Suite(.serialized) struct IntervalEndToEndTests {
    func send(_ extra: [String]) throws -> (result: ProgramRunner.Result, size: Int) {
        let fixture = try ReceiverFixture(receiverArguments: ["--once", "--json"])
        defer { fixture.finish() }
        let size = 2_000_000
        _ = try fixture.scratch.randomFile("payload.bin", size: size)
        let proxy = try RunningProxy(to: fixture.receiver.address, arguments: ["--rate", "20mbit", "--delay", "5ms", "--seed", "3"])
        defer { proxy.stop() }
        let sent = try ProgramRunner.run("rudp-send", [fixture.scratch.file("payload.bin").path, proxy.address, "--cc", "reno",
                                                       "--window", "256", "--interval", "100ms"] + extra, timeout: 90)
        #expect(sent.status == 0, "\(sent.stderr)")
        #expect(fixture.receiver.waitForExit() == 0)
        return (sent, size)
    }

    @Test func jsonIntervalsAddUpToTheFileAndComeBeforeTheSummary() throws {
        let (sent, size) = try send(["--json"])
        let objects = try sent.stdout.split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        let intervals = objects.dropLast()
        #expect(objects.last?["event"] == nil && objects.last?["sha256"] is String, "the summary comes last")
        #expect(intervals.count >= 3, "2 MB at 20 Mbit/s lasts most of a second: \(objects.count) lines")
        #expect(intervals.allSatisfy { $0["event"] as? String == "interval" && $0["cc"] as? String == "reno" })
        var previousEnd = 0.0
        var total = 0
        for interval in intervals {
            let start = try #require(interval["start"] as? Double)
            let end = try #require(interval["end"] as? Double)
            #expect(abs(start - previousEnd) < 1e-6, "each interval starts where the last ended")
            #expect(end - start >= 0.099, "an interval lasts at least --interval")
            total += interval["bytes"] as? Int ?? 0
            #expect(interval["bytes_acked"] as? Int == total, "bytes_acked is the running sum of bytes")
            previousEnd = end
        }
        #expect(total > 0 && total <= size)
        #expect((intervals.last?["srtt_ms"] as? Double ?? 0) >= 10, "the RTT includes the 10 ms round trip")
    }

    @Test func withoutJsonEachIntervalIsALineOnStandardError() throws {
        let (sent, _) = try send([])
        let lines = sent.stderr.split(separator: "\n").filter { $0.hasPrefix("[") }
        #expect(lines.count >= 3, "\(sent.stderr)")
        #expect(lines.first?.hasPrefix("[0.0–0.1 s]") == true, "\(lines)")
        #expect(lines.allSatisfy { $0.contains("acknowledged") && $0.contains("Mbit/s") })
    }

    @Test func anIntervalBelowTenMillisecondsIsAUsageError() throws {
        let result = try ProgramRunner.run("rudp-send", ["/dev/null", "127.0.0.1:9", "--interval", "5ms"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("10ms"))
    }
}
