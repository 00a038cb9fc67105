import Foundation
import Testing

/// A transfer through `lossproxy --rebind`: the relay moves the sender to a new source port
/// towards the receiver every 200 ms (a NAT rebinding), and the receiver follows it after path
/// validation, as real processes on loopback.
@Suite(.serialized) struct RebindEndToEndTests {
    @Test func aTransferThroughARelayThatRebindsEvery200msArrivesIntact() throws {
        let fixture = try ReceiverFixture(receiverArguments: ["--once", "--json"])
        defer { fixture.finish() }
        let size = 8_000_000
        let original = try fixture.scratch.randomFile("moving.bin", size: size)
        let receiver = fixture.receiver
        let proxy = try RunningProxy(to: receiver.address,
                                     arguments: ["--rebind", "200ms", "--delay", "10ms", "--loss", "1%", "--rate", "40mbit",
                                                 "--seed", "14", "--json"])
        defer { proxy.stop() }

        let started = Date()
        let sent = try ProgramRunner.run(
            "rudp-send", [fixture.scratch.file("moving.bin").path, proxy.address, "--json"], timeout: 60)
        let seconds = Date().timeIntervalSince(started)
        #expect(sent.status == 0, "rudp-send failed: \(sent.stderr)")
        #expect(receiver.waitForExit(timeout: 60) == 0)
        #expect(try fixture.received("moving.bin") == original)

        let final = try #require(proxy.stopAndReadFinalReport())
        let rebinds = final["rebinds"] as? Int ?? 0
        // 8 MB at 40 Mbit/s take 1.6 s at least: eight rebinds or so, whatever the machine's speed.
        #expect(rebinds >= 2, "the transfer (\(seconds) s) lived through several rebinds: \(final)")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(sent.stdout.utf8)) as? [String: Any])
        #expect((summary["path_challenges"] as? Int ?? 0) >= 1, "the sender answered path challenges: \(sent.stdout)")
        // The receiver says how often it followed the sender (why-udp's moves column on the link).
        let line = try #require(receiver.stdout.text().split(separator: "\n").last { $0.hasPrefix("{") })
        let report = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        let moves = report["migrations"] as? Int ?? 0
        #expect(moves >= 1 && moves <= rebinds, "the receiver followed the sender \(moves) times for \(rebinds) rebinds: \(line)")
    }
}
