import Foundation
import Testing

/// `rudp-recv --once` around its one transfer, as real processes (issue 17, cases 1, 3 and 10):
/// it stays to answer a FIN retransmitted after a lost FIN-ACK, it ends with a failed handshake,
/// and both programs say how long each side waits for the other.
@Suite(.serialized) struct LifecycleEndToEndTests {
    /// The run: the first FIN-ACK (4th reply) and the next three FINs (forward datagrams
    /// 5-7) are lost; the sender used to fail after 22.8 s while the receiver had saved the file.
    @Test func aOnceReceiverConfirmsAFinRetransmittedAfterItsFinAckWasLost() throws {
        let fixture = try ReceiverFixture(receiverArguments: ["--once", "--json"])
        defer { fixture.finish() }
        let original = try fixture.scratch.randomFile("f1201", size: 1_201)
        let proxy = try RunningProxy(to: fixture.receiver.address,
                                     arguments: ["--seed", "1", "--reverse-drop", "4", "--forward-drop", "5-7", "--json"])
        defer { proxy.stop() }
        let sent = try ProgramRunner.run("rudp-send", [fixture.scratch.file("f1201").path, proxy.address, "--protocol", "sw"],
                                         timeout: 40)
        #expect(sent.status == 0, "rudp-send: \(sent.stderr)")
        #expect(sent.seconds < 10, "three lost FINs cost a few backed-off timeouts, not the retry budget")
        #expect(fixture.receiver.waitForExit(timeout: 5) == 0, "it exits once the sender acknowledged the FIN-ACK")
        #expect(try fixture.received("f1201") == original)
        #expect(fixture.receiver.stdout.text().contains("\"status\":\"ok\""))
        let final = try #require(proxy.stopAndReadFinalReport())
        let forward = try #require(final["forward"] as? [String: Any])
        #expect((forward["dropped"] as? Int) == 3, "the FINs 5-7 were dropped: \(final)")
    }

    /// The handshake outlasts the receiver's 150 ms idle timeout (100 ms each way): the sender
    /// fails, and the receiver used to print nothing and never exit.
    @Test func aOnceReceiverWhoseOnlyHandshakeFailedReportsItAndExits() throws {
        let fixture = try ReceiverFixture(receiverArguments: ["--once", "--json", "--idle-timeout", "150ms"])
        defer { fixture.finish() }
        try fixture.scratch.randomFile("f", size: 10_000)
        let proxy = try RunningProxy(to: fixture.receiver.address, arguments: ["--delay", "100ms"])
        defer { proxy.stop() }
        let sent = try ProgramRunner.run("rudp-send", [fixture.scratch.file("f").path, proxy.address, "--max-retries", "2"],
                                         timeout: 30)
        #expect(sent.status == 1)
        #expect(fixture.receiver.waitForExit(timeout: 5) == 1, "exit 1: its one transfer failed")
        let lines = fixture.receiver.stdout.text().split(separator: "\n")
        #expect(lines.count == 1, "one JSON line: \(lines)")
        let report = try #require(lines.first.flatMap { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] })
        #expect(report["status"] as? String == "failed")
        #expect((report["error"] as? String)?.isEmpty == false, "with the reason: \(report)")
        #expect(fixture.incomingContents().isEmpty)
    }

    /// `--idle-timeout 1us` on plain loopback used to hang 6 runs of 6. Whatever the race between
    /// the handshake and that timeout, the receiver ends with one JSON line, and its exit status,
    /// its line and the sender's status agree.
    @Test func aOnceReceiverWithAMicrosecondIdleTimeoutAlwaysEnds() throws {
        for run in 1...6 {
            let fixture = try ReceiverFixture(receiverArguments: ["--once", "--json", "--idle-timeout", "1us"])
            defer { fixture.finish() }
            try fixture.scratch.randomFile("f", size: 5_000)
            let sent = try ProgramRunner.run("rudp-send", [fixture.scratch.file("f").path, fixture.receiver.address], timeout: 60)
            let status = fixture.receiver.waitForExit(timeout: 5)
            #expect(status != nil, "run \(run): the receiver did not exit")
            let lines = fixture.receiver.stdout.text().split(separator: "\n")
            #expect(lines.count == 1, "run \(run): \(lines)")
            let succeeded = lines.first?.contains("\"status\":\"ok\"") == true
            #expect(status == (succeeded ? 0 : 1), "run \(run): exit \(String(describing: status)) for \(lines)")
            #expect(sent.status == (succeeded ? 0 : 1), "run \(run): sender \(sent.status) (\(sent.stderr)) for \(lines)")
        }
    }

    /// Both programs say how long the receiver waits for a silent sender, and why.
    @Test func theHelpOfBothProgramsStatesTheIdleBound() throws {
        /// The help as one line: the formatter wraps it at any space.
        func help(_ program: String) throws -> String {
            let result = try ProgramRunner.run(program, ["--help"])
            #expect(result.status == 0)
            return result.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        }
        let send = try help("rudp-send")
        #expect(send.contains("rudp-recv waits as long") && send.contains("(N + 2) x 4 s of silence (48 s for 10), at most 10 min"),
                "\(send)")
        let receive = try help("rudp-recv")
        #expect(receive.contains("the receiver waits (retries + 2) x that timeout") && receive.contains("at most 10 min"),
                "\(receive)")
        #expect(receive.contains("until the sender acknowledged the FIN-ACK or can no longer retransmit its FIN"), "--once")
    }
}
