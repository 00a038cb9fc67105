import Foundation
import RUDP
import Synchronization
import Testing
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Faults in the middle of a transfer, on real processes: a side killed, frozen or interrupted,
/// the receiver's disk full, FIN-ACKs lost past the receiver's linger. Each side must end in
/// bounded time with one clear line, and the receiver must leave neither a final nor a temporary
/// file behind unless it confirmed it. (An output directory that is not writable is refused at
/// start: CommandLineEndToEndTests.)
@Suite(.serialized) struct FaultEndToEndTests {
    /// Bytes fed before the fault: the receiver has written at least a megabyte of them.
    static let fedBytes = 3_000_000

    /// A receiver and a sender of standard input halfway through a transfer.
    struct HalfwayTransfer {
        let fixture: ReceiverFixture
        let sender: HeldSender
        var incoming: URL { fixture.incoming }
        var receiver: RunningReceiver { fixture.receiver }

        init(protocolName: String, receiverArguments: [String], senderArguments: [String] = []) throws {
            fixture = try ReceiverFixture(receiverArguments: receiverArguments)
            sender = try HeldSender(to: fixture.receiver.address, name: "partial.bin", protocolName: protocolName,
                                    extraArguments: senderArguments)
            sender.feed(FaultSupport.randomData(FaultEndToEndTests.fedBytes))
        }

        /// True once the receiver's temporary file holds data.
        func isUnderWay() -> Bool { FaultSupport.waitForTemporaryFile(in: incoming, atLeast: 1 << 20) }

        func finish() {
            kill(receiver.process.processIdentifier, SIGKILL)
            fixture.finish()
        }
    }

    @Test(arguments: ["sr", "gbn", "tcp"])
    func aKilledSenderLeavesNoFileOnceTheIdleTimeoutPasses(protocolName: String) throws {
        let transfer = try HalfwayTransfer(protocolName: protocolName,
                                           receiverArguments: ["--once", "--json", "--idle-timeout", "1s"])
        defer { transfer.finish() }
        #expect(transfer.isUnderWay())
        transfer.sender.signal(SIGKILL)
        _ = transfer.sender.waitForExit(timeout: 5)
        let killed = Date()
        #expect(FaultSupport.waitUntilEmpty(transfer.incoming, timeout: 10), "\(transfer.fixture.incomingContents())")
        #expect(Date().timeIntervalSince(killed) < 5, "removed within about the 1 s idle timeout")
        #expect(transfer.receiver.waitForExit(timeout: 15) == 1)
        let report = transfer.receiver.stdout.text()
        #expect(report.contains("\"status\":\"failed\""), "\(report)")
        #expect(transfer.fixture.incomingContents().isEmpty)
    }

    @Test(arguments: ["sr", "gbn", "sw", "tcp"])
    func aKilledReceiverMakesTheSenderFailInBoundedTime(protocolName: String) throws {
        let transfer = try HalfwayTransfer(protocolName: protocolName, receiverArguments: [])
        defer { transfer.finish() }
        #expect(transfer.isUnderWay())
        kill(transfer.receiver.process.processIdentifier, SIGKILL)
        transfer.receiver.process.waitUntilExit()
        let killed = Date()
        transfer.sender.feed(FaultSupport.randomData(1_000_000))
        transfer.sender.endInput()
        let status = transfer.sender.waitForExit(timeout: 40)
        let stderr = transfer.sender.stderr.text()
        #expect(status == 1, "stderr: \(stderr)")
        #expect(Date().timeIntervalSince(killed) < 30)
        #expect(isOneLine(stderr) && stderr.contains("receiver"), "one line naming the receiver: \(stderr)")
    }

    @Test(arguments: ["sr", "gbn"])
    func aFrozenReceiverIsGivenUpOnAfterTheRetries(protocolName: String) throws {
        let transfer = try HalfwayTransfer(protocolName: protocolName, receiverArguments: [],
                                           senderArguments: ["--max-retries", "3"])
        defer { transfer.finish() }
        #expect(transfer.isUnderWay())
        kill(transfer.receiver.process.processIdentifier, SIGSTOP)  // still bound: no ICMP, just silence
        let frozen = Date()
        transfer.sender.feed(FaultSupport.randomData(1_000_000))
        transfer.sender.endInput()
        let status = transfer.sender.waitForExit(timeout: 60)
        let stderr = transfer.sender.stderr.text()
        #expect(status == 1)
        #expect(Date().timeIntervalSince(frozen) < 30, "3 retries of at most 4 s each, and the first timeouts")
        #expect(isOneLine(stderr) && stderr.contains("stopped answering"), "\(stderr)")
    }

    @Test(.enabled(if: FaultSupport.prlimitPath != nil, "needs prlimit(1) to limit the receiver's file size"),
          arguments: ["sr", "tcp"])
    func aFileSizeLimitFailsTheTransferCleanlyOnBothSides(protocolName: String) throws {
        let fixture = try ReceiverFixture(receiverArguments: ["--once", "--json"])
        defer { fixture.finish() }
        let (scratch, receiver) = (fixture.scratch, fixture.receiver)
        try scratch.randomFile("big.bin", size: 3_000_000)
        // Started from a shell, SIGXFSZ would kill it at the limit (here the test runner's spawn
        // happens to block the signal): the receiver must ignore it itself.
        #expect(FaultSupport.ignoresSignal(SIGXFSZ, process: receiver.process))
        try FaultSupport.limitFileSize(of: receiver.process, to: 500_000)  // as `ulimit -f` would
        let sent = try ProgramRunner.run("rudp-send", [scratch.file("big.bin").path, receiver.address, "--protocol", protocolName],
                                         timeout: 30)
        #expect(sent.status == 1)
        #expect(isOneLine(sent.stderr) && sent.stderr.contains("File too large"), "sender: \(sent.stderr)")
        #expect(receiver.waitForExit() == 1, "the receiver survives the limit and reports the failure")
        let report = receiver.stdout.text()
        #expect(report.contains("\"status\":\"failed\"") && report.contains("File too large"), "receiver: \(report)")
        #expect(fixture.incomingContents().isEmpty, "the partial file is removed")
    }

    @Test(.enabled(if: FaultSupport.canMountTmpfs, "needs root and mount(2) for a small tmpfs"), arguments: ["sr", "tcp"])
    func aFullDiskFailsTheTransferCleanlyOnBothSides(protocolName: String) throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let incoming = scratch.file("full")
        try FileManager.default.createDirectory(at: incoming, withIntermediateDirectories: true)
        #expect(mount("tmpfs", incoming.path, "tmpfs", 0, "size=1m") == 0)
        defer { umount2(incoming.path, Int32(MNT_DETACH)) }
        try scratch.randomFile("big.bin", size: 3_000_000)
        let receiver = try RunningReceiver(directory: incoming, arguments: ["--once", "--json"])
        defer { receiver.stop() }
        let sent = try ProgramRunner.run("rudp-send", [scratch.file("big.bin").path, receiver.address, "--protocol", protocolName],
                                         timeout: 30)
        #expect(sent.status == 1)
        #expect(isOneLine(sent.stderr) && sent.stderr.contains("No space left on device"), "sender: \(sent.stderr)")
        #expect(receiver.waitForExit() == 1)
        let report = receiver.stdout.text()
        #expect(report.contains("\"status\":\"failed\"") && report.contains("No space left"), "receiver: \(report)")
        #expect(ScratchDirectory(existing: incoming).contents().isEmpty, "the partial file is removed, the space freed")
    }

    @Test(arguments: ["sr", "tcp"])
    func anInterruptedSenderExitsCleanlyAndTheReceiverKeepsNothing(protocolName: String) throws {
        let transfer = try HalfwayTransfer(protocolName: protocolName, receiverArguments: ["--once", "--json"])
        defer { transfer.finish() }
        #expect(transfer.isUnderWay())
        transfer.sender.signal(SIGINT)
        let status = transfer.sender.waitForExit(timeout: 5)
        let stderr = transfer.sender.stderr.text()
        #expect(status == 1 || status == 130)
        #expect(isOneLine(stderr), "\(stderr)")
        #expect(transfer.receiver.waitForExit(timeout: 10) == 1, "the receiver heard of it and gave up")
        #expect(transfer.receiver.stdout.text().contains("\"status\":\"failed\""))
        #expect(transfer.fixture.incomingContents().isEmpty)
    }

    @Test(arguments: ["sr", "tcp"])
    func anInterruptedReceiverExitsCleanlyAndTellsTheSender(protocolName: String) throws {
        let transfer = try HalfwayTransfer(protocolName: protocolName, receiverArguments: [])
        defer { transfer.finish() }
        #expect(transfer.isUnderWay())
        kill(transfer.receiver.process.processIdentifier, SIGINT)
        #expect(transfer.receiver.waitForExit(timeout: 5).map { $0 == 1 || $0 == 130 } == true)
        #expect(transfer.fixture.incomingContents().isEmpty, "nothing half-written is left")
        let status = transfer.sender.waitForExit(timeout: 15)
        let stderr = transfer.sender.stderr.text()
        #expect(status == 1)
        #expect(isOneLine(stderr) && stderr.contains("receiver"), "\(stderr)")
    }

    @Test func aFinRetransmittedAfterTheLingerIsStillConfirmed() throws {
        let fixture = try ReceiverFixture(receiverArguments: ["--json"])
        defer { fixture.finish() }
        let (scratch, receiver) = (fixture.scratch, fixture.receiver)
        let original = try scratch.randomFile("payload.bin", size: 200_000)
        // The first FIN arrives and the file is saved, but its FIN-ACK is lost; so are the next
        // two FINs. The fourth comes 7 RTOs after the first (the timeout doubles), after the
        // receiver's linger of 3 RTOs (at least 250 ms): it must be confirmed all the same.
        let fins = Mutex(0)
        let relay = try RecordingRelay(
            toReceiverPort: receiver.port,
            dropToReceiver: { datagram in
                guard datagram.count >= 36 && datagram[1] == PacketType.fin.rawValue else { return false }
                return fins.withLock { count in
                    count += 1
                    return count == 2 || count == 3
                }
            },
            dropToSender: { datagram in
                datagram.count >= 36 && datagram[1] == PacketType.finAck.rawValue && fins.withLock { $0 } < 4
            })
        let sent = try ProgramRunner.run("rudp-send", [scratch.file("payload.bin").path, relay.address], timeout: 60)
        relay.stop()
        #expect(sent.status == 0, "the saved file is confirmed: \(sent.stderr)")
        #expect(fins.withLock { $0 } >= 4)
        #expect(try fixture.received("payload.bin") == original)
        #expect(receiver.stdout.snapshot().split(separator: "\n").count == 1, "one transfer, saved once")
    }
}
