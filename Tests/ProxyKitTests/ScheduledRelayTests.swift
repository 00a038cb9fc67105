import CLIKit
import Foundation
import Impairment
import ImpairmentCLI
import SystemKit
import Synchronization
import Testing

@testable import ProxyKit

/// `lossproxy --schedule`: impairments that change while the relay runs, each change recorded
/// in the statistics with its time.
@Suite(.serialized) struct ScheduledRelayTests {
    /// A schedule file in a fresh temporary directory, removed by `remove()`.
    struct ScheduleFile {
        let directory: URL
        var path: String { directory.appendingPathComponent("schedule.txt").path }

        init(_ text: String) throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("netem-schedule-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try write(text)
        }

        func write(_ text: String) throws { try text.write(toFile: path, atomically: true, encoding: .utf8) }
        func remove() { try? FileManager.default.removeItem(at: directory) }
    }

    @Test func aScheduleForwardsThenDropsEverythingAndReportsWhen() throws {
        let file = try ScheduleFile("# forward for a second, then nothing\n0s loss 0%\n1s loss 100%\n")
        defer { file.remove() }
        let schedule = try ImpairmentScheduleFile(path: file.path, program: "lossproxy", baseForward: .none, baseReverse: .none)
        let server = try Endpoint(), client = try Endpoint()
        let relay = try UDPRelay(UDPRelay.Configuration(listenAddress: .loopback(.ipv4, port: 0), serverAddress: server.address))
        relay.impairmentSchedule = ScheduledImpairments(file: schedule)
        let stopSwitch = try StopSwitch()
        let outcome = Mutex<RelayStatistics?>(nil)
        let done = DispatchSemaphore(value: 0)
        Thread {
            outcome.withLock { $0 = try? relay.run(stopWhenReadable: stopSwitch.fileDescriptor) }
            done.signal()
        }.start()

        // One probe every 50 ms for 2 s; each carries its send time.
        let receiver = BackgroundReceiver(server, quiet: 1.5)
        let start = MonotonicClock.now()
        for number in 1...40 {
            try client.send(probe(number: UInt32(number)), to: relay.localAddress)
            pause(0.05)
        }
        let arrivals = receiver.finish()
        stopSwitch.stop()
        #expect(done.wait(timeout: .now() + 10) == .success)
        let stats = try #require(outcome.withLock { $0 })

        // Sent well before 1 s: forwarded; sent well after: all lost (±100 ms for scheduling).
        let sentAt = arrivals.map { Double(readProbe($0.bytes).sentAt &- start) / 1e9 }
        #expect(!sentAt.isEmpty && sentAt.allSatisfy { $0 < 1.1 }, "forwarded probes sent at \(sentAt)")
        #expect(arrivals.count >= 16, "\(arrivals.count) of the ~20 probes of the first second arrived")
        #expect(stats.forward.received == 40)
        #expect(stats.forward.impairment.droppedLoss >= 16 && stats.forward.impairment.droppedLoss <= 24)

        let records = try #require(stats.impairmentChanges)
        #expect(records.map(\.scheduledAt) == [0, 1_000_000_000])
        #expect(records.map(\.text) == ["loss 0%", "loss 100%"])
        #expect(records[1].appliedAt >= 1_000_000_000 && records[1].appliedAt < 1_100_000_000)
        let json = stats.json.jsonText
        #expect(json.contains(#""impairment_changes":[{"at_s":0"#), "\(json)")
        #expect(json.contains(#""at_s":1,"#) || json.contains(#""at_s":1.0,"#), "\(json)")
        #expect(json.contains(#""change":"loss 100%","cause":"schedule""#))
    }

    @Test func aReloadRereadsTheFileAndAppliesWhatIsDueNow() throws {
        let file = try ScheduleFile("0s delay 10ms\n")
        defer { file.remove() }
        let schedule = try ImpairmentScheduleFile(path: file.path, program: "lossproxy", baseForward: .none, baseReverse: .none)
        let scheduled = ScheduledImpairments(file: schedule)
        let link = ImpairedLink(both: .none, seed: 1)
        let start: UInt64 = 1_000_000_000
        scheduled.applyDue(to: link, now: start, start: start)
        #expect(link.forward.config.delay == 10_000_000)
        #expect(scheduled.earliest(nil, start: start, now: start) == nil)

        try file.write("0s delay 10ms\n5s loss 50%\n30s loss 1%\n")
        scheduled.reload(link: link, now: start + 2_000_000_000, start: start)
        // Due at 2 s: still the 0 s line (over the command line's nothing: no loss yet).
        #expect(link.forward.config.delay == 10_000_000 && link.forward.config.loss == 0)
        #expect(scheduled.earliest(nil, start: start, now: start + 2_000_000_000) == start + 5_000_000_000)
        scheduled.applyDue(to: link, now: start + 5_000_000_000, start: start)
        // Each line applies over the command line, not over the line before: the delay is gone.
        #expect(link.forward.config.loss == 0.5 && link.forward.config.delay == 0)
        #expect(scheduled.records.map(\.cause) == ["schedule", "reload", "schedule"])

        try file.write("0s loss lots\n")
        scheduled.reload(link: link, now: start + 6_000_000_000, start: start)
        #expect(link.forward.config.loss == 0.5, "a broken file is ignored")
        #expect(scheduled.records.count == 3)
    }
}
