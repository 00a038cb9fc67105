#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing

/// tshark's path, where it is installed.
let tsharkPath: String? = ["/usr/bin/tshark", "/usr/sbin/tshark", "/usr/local/bin/tshark"].first { access($0, X_OK) == 0 }

/// `--no-gso` and RUDP_NO_GSO=1: the programs send one datagram per system call, and a
/// transfer still delivers the file intact.
@Suite(.serialized) struct NoGSOEndToEndTests {
    @Test func aTransferWithNoGSOOnBothSidesDeliversTheFileIntact() throws {
        let fixture = try ReceiverFixture(receiverArguments: ["--once", "--json", "--no-gso"])
        defer { fixture.finish() }
        let original = try fixture.scratch.randomFile("payload.bin", size: 2_000_000)
        let sent = try ProgramRunner.run("rudp-send", [fixture.scratch.file("payload.bin").path, fixture.receiver.address,
                                                       "--no-gso", "--json"])
        #expect(sent.status == 0, "stderr: \(sent.stderr)")
        #expect(fixture.receiver.waitForExit() == 0)
        #expect(try fixture.received("payload.bin") == original)
    }

    @Test func theEnvironmentVariableWorksForBothPrograms() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let incoming = scratch.file("in")
        try FileManager.default.createDirectory(at: incoming, withIntermediateDirectories: true)
        let original = try scratch.randomFile("payload.bin", size: 500_000)
        let withoutGSO = "RUDP_NO_GSO=1 exec \"$@\""
        let receiver = try ProgramRunner.startListeningShell(
            withoutGSO, [ProgramRunner.url(of: "rudp-recv").path, "--listen", "127.0.0.1:0", "--out", incoming.path, "--once"])
        defer { if receiver.process.isRunning { receiver.process.terminate(); receiver.process.waitUntilExit() } }
        let sent = try ProgramRunner.runShell(withoutGSO, [ProgramRunner.url(of: "rudp-send").path,
                                                           scratch.file("payload.bin").path, "127.0.0.1:\(receiver.port)"])
        #expect(sent.status == 0, "stderr: \(sent.stderr)")
        #expect(ProgramRunner.waitForExit(receiver.process, timeout: 30) && receiver.process.terminationStatus == 0)
        #expect(try Data(contentsOf: incoming.appendingPathComponent("payload.bin")) == original)
    }

    @Test(.enabled(if: geteuid() == 0 && tsharkPath != nil, "needs root and tshark to capture on loopback"),
          arguments: [false, true])
    func aLoopbackCaptureShowsOnePacketPerFrameOnlyWithNoGSO(noGSO: Bool) throws {
        let flags = noGSO ? ["--no-gso"] : []
        let fixture = try ReceiverFixture(receiverArguments: ["--once"] + flags)
        defer { fixture.finish() }
        try fixture.scratch.randomFile("payload.bin", size: 300_000)
        let capture = fixture.scratch.file("lo.pcapng")
        let tshark = try LoopbackCapture(port: fixture.receiver.port, into: capture)
        defer { tshark.stop() }
        let sent = try ProgramRunner.run("rudp-send", [fixture.scratch.file("payload.bin").path, fixture.receiver.address,
                                                       "--cc", "none", "--json"] + flags)
        #expect(sent.status == 0, "stderr: \(sent.stderr)")
        #expect(fixture.receiver.waitForExit() == 0)
        tshark.stop()
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(sent.stdout.utf8)) as? [String: Any])
        let packets = try #require(summary["packets_sent"] as? Int)
        let read = try ProgramRunner.run(executable: URL(fileURLWithPath: tsharkPath!),
                                         ["-r", capture.path, "-Y", "udp.dstport == \(fixture.receiver.port)",
                                          "-T", "fields", "-e", "frame.len"])
        let lengths = read.stdout.split(separator: "\n").compactMap { Int($0) }
        if noGSO {
            // Every datagram its own frame: at least the counted packets (the handshake's and
            // teardown's are not counted), none longer than one packet of the 1,200-byte MSS.
            #expect(lengths.count >= packets, "\(lengths.count) frames for \(packets) packets")
            #expect(lengths.allSatisfy { $0 <= 1_400 }, "largest frame \(lengths.max() ?? 0)")
        } else {
            #expect(lengths.count < packets / 2, "\(lengths.count) frames for \(packets) packets: runs share frames")
            #expect((lengths.max() ?? 0) > 10_000, "largest frame \(lengths.max() ?? 0)")
        }
    }
}

/// tshark capturing one UDP port on loopback into a file for `seconds`, then exiting by itself:
/// it blocks the signals that would stop it sooner when started from the test process.
final class LoopbackCapture {
    let process = Process()
    let seconds: Int

    /// Starts tshark and waits (10 s at most) until it says it is capturing.
    init(port: Int, into file: URL, seconds: Int = 6) throws {
        self.seconds = seconds
        process.executableURL = URL(fileURLWithPath: tsharkPath!)
        // A 64 MiB buffer: runs of 64 KiB frames arrive faster than dumpcap writes them on a busy machine.
        process.arguments = ["-i", "lo", "-f", "udp port \(port)", "-B", "64", "-w", file.path, "-q", "-a", "duration:\(seconds)"]
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let stderr = Collector(err.fileHandleForReading)
        let deadline = Date().addingTimeInterval(10)
        while !stderr.snapshot().contains("Capturing on") && Date() < deadline && process.isRunning { usleep(20_000) }
        guard stderr.snapshot().contains("Capturing on") else {
            stop()
            throw ProgramDidNotStart(program: "tshark", stderr: stderr.snapshot())
        }
        // "Capturing on" comes from tshark as dumpcap starts; give the capture a moment to be live.
        usleep(500_000)
    }

    /// Waits for the capture to end and its file to be complete (killing tshark if it overstays).
    func stop() {
        guard process.isRunning else { return }
        if !ProgramRunner.waitForExit(process, timeout: Double(seconds) + 10) {
            Issue.record("tshark did not stop after \(seconds) s")
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}
