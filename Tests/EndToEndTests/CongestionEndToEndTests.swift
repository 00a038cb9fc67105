import Foundation
import Testing

/// rudp-send's congestion controllers against a real bottleneck: lossproxy's rate limit and
/// tail-drop queue on loopback.
@Suite(.serialized) struct CongestionEndToEndTests {
    /// Sends `size` random bytes with `--cc algorithm` and a window far beyond the queue, through
    /// a 20 Mbit/s relay with a 50-packet queue and 5 ms each way; returns the JSON summary.
    func sendThroughBottleneck(cc algorithm: String, size: Int) throws -> [String: Any] {
        let fixture = try ReceiverFixture(receiverArguments: ["--once", "--json"])
        defer { fixture.finish() }
        let original = try fixture.scratch.randomFile("payload.bin", size: size)
        let proxy = try RunningProxy(to: fixture.receiver.address,
                                     arguments: ["--rate", "20mbit", "--queue", "50", "--delay", "5ms", "--seed", "3", "--json"])
        defer { proxy.stop() }
        let sent = try ProgramRunner.run("rudp-send", [fixture.scratch.file("payload.bin").path, proxy.address, "--cc", algorithm,
                                                       "--window", "1024", "--max-retries", "60", "--json"], timeout: 90)
        #expect(sent.status == 0, "rudp-send --cc \(algorithm) failed: \(sent.stderr)")
        #expect(fixture.receiver.waitForExit() == 0)
        #expect(try fixture.received("payload.bin") == original)
        return try #require(try JSONSerialization.jsonObject(with: Data(sent.stdout.utf8)) as? [String: Any])
    }

    @Test(arguments: ["reno", "cubic", "bbr"])
    func aControlledSenderDoesNotFloodTheQueueTheFixedWindowFloods(algorithm: String) throws {
        let size = 2_000_000
        let packets = size / 1_200 + 1
        let fixed = try sendThroughBottleneck(cc: "none", size: size)
        let controlled = try sendThroughBottleneck(cc: algorithm, size: size)
        #expect(fixed["cc"] as? String == "none")
        #expect(fixed["cwnd_max"] is NSNull, "no congestion window without congestion control")
        #expect(controlled["cc"] as? String == algorithm)
        let fixedRetransmissions = fixed["retransmissions"] as? Int ?? 0
        let controlledRetransmissions = controlled["retransmissions"] as? Int ?? .max
        // 1,024 packets into a 50-packet queue: the fixed window loses most of what it sends.
        #expect(fixedRetransmissions > packets / 2, "none: \(fixed)")
        #expect(controlledRetransmissions * 4 < fixedRetransmissions, "\(algorithm): \(controlled)")
        #expect((controlled["cwnd_max"] as? Int ?? 0) > 10, "the window grew from its initial ten packets")
        #expect((controlled["srtt_ms"] as? Double ?? 0) >= 10, "the smoothed RTT includes the 10 ms round trip")
        if algorithm == "bbr" {
            // Paced near the 20 Mbit/s bottleneck (its gain cycle ranges from 0.75 to 1.25 of it); a
            // loaded machine (the whole suite on 2 cores) delays the relay and skews the estimate, so
            // within a factor of four: what it rules out is an unpaced or runaway sender.
            let pacing = controlled["pacing_mbps"] as? Double ?? 0
            #expect(pacing > 5 && pacing < 80, "pacing at \(pacing) Mbit/s")
        } else {
            #expect(controlled["pacing_mbps"] is NSNull)
        }
    }

    @Test func anUnknownControllerIsAUsageError() throws {
        let result = try ProgramRunner.run("rudp-send", ["/dev/null", "127.0.0.1:9", "--cc", "vegas"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("vegas"))
    }
}

/// The TCP baseline says which kernel TCP it measured, and takes the one asked for.
@Suite(.serialized, .enabled(if: FileManager.default.fileExists(atPath: "/proc/sys/net/ipv4/tcp_congestion_control"),
                             "needs Linux's TCP congestion control settings"))
struct TCPCongestionEndToEndTests {
    static func proc(_ name: String) -> String {
        ((try? String(contentsOfFile: "/proc/sys/net/ipv4/\(name)", encoding: .utf8)) ?? "")
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func sendOverTCP(_ extra: [String]) throws -> (status: Int32, summary: [String: Any]?, stderr: String) {
        let fixture = try ReceiverFixture(receiverArguments: ["--json"])
        defer { fixture.finish() }
        _ = try fixture.scratch.randomFile("payload.bin", size: 200_000)
        let sent = try ProgramRunner.run("rudp-send", [fixture.scratch.file("payload.bin").path, fixture.receiver.address,
                                                       "--protocol", "tcp", "--json"] + extra)
        let summary = try? JSONSerialization.jsonObject(with: Data(sent.stdout.utf8)) as? [String: Any]
        return (sent.status, summary, sent.stderr)
    }

    @Test func withoutTcpCcTheSystemDefaultIsReportedAsReadBack() throws {
        let result = try sendOverTCP([])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.summary?["tcp_cc"] as? String == Self.proc("tcp_congestion_control"))
    }

    @Test func eachAvailableAlgorithmIsUsedWhenAsked() throws {
        for name in Self.proc("tcp_available_congestion_control").split(separator: " ").map(String.init) {
            let result = try sendOverTCP(["--tcp-cc", name])
            #expect(result.status == 0, "\(name): \(result.stderr)")
            #expect(result.summary?["tcp_cc"] as? String == name)
        }
    }

    @Test func anAlgorithmTheKernelLacksFailsInOneLine() throws {
        let result = try sendOverTCP(["--tcp-cc", "no-such-cc"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("no TCP congestion control 'no-such-cc'"))
        #expect(result.stderr.split(separator: "\n").count == 1)
    }
}
