import Foundation
import RUDP
import Testing
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a careless or hostile user or peer hands the programs: a file that changes while it is
/// sent, a sender whose announced size is not what it sends, a receiver whose refusal carries
/// terminal escapes, names with C1 controls, paths that are not UTF-8.
@Suite(.serialized) struct HostileInputEndToEndTests {
    // MARK: A file that changes while it is sent

    @Test("a file truncated while it is sent fails the sender in one line, and the receiver saves nothing",
          arguments: ["sr", "tcp"])
    func aFileTruncatedWhileItIsSentIsNotSaved(protocolName: String) throws {
        let fixture = try ReceiverFixture()
        defer { fixture.finish() }
        // A sparse GiB: no disk, and far more than a debug build sends in the half second before the cut.
        let path = fixture.scratch.file("shrinking.bin").path
        try #require(FileManager.default.createFile(atPath: path, contents: nil))
        try #require(truncate(path, 1 << 30) == 0)
        let send = BackgroundRun("rudp-send", [path, fixture.receiver.address, "--protocol", protocolName, "--quiet"],
                                 timeout: 60)
        usleep(500_000)
        try #require(truncate(path, 1_000) == 0)
        let result = try #require(send.wait(timeout: 60))
        #expect(result.status == 1, "stderr: \(result.stderr)")
        #expect(result.stderr.contains("changed while it was sent"), "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1, "one line: \(result.stderr)")
        #expect(waitUntil(seconds: 10) { fixture.incomingContents().isEmpty }, "\(fixture.incomingContents())")
    }

    @Test("the RUDP receiver refuses a file shorter than the size its SYN announced, in words that say so")
    func aFileShorterThanAnnouncedIsRefused() throws {
        let fixture = try ReceiverFixture()
        defer { fixture.finish() }
        let content = [UInt8](repeating: 0x5A, count: 20)
        let configuration = SenderConfiguration(mode: .stopAndWait, connectionID: 0xA11CE, initialSequence: 77,
                                                fileName: Array("short.bin".utf8), fileSize: 100)
        let outcome = try CoreSenderRun(configuration: configuration, content: content, port: fixture.receiver.port)
        guard case .failed(.peerReset(let code, let message)) = outcome.state else {
            Issue.record("the sender ended as \(outcome.state)")
            return
        }
        #expect(code == .integrityFailure)
        #expect(message.contains("announced 100 bytes and sent 20"), "\(message)")
        #expect(waitUntil(seconds: 5) { fixture.incomingContents().isEmpty }, "\(fixture.incomingContents())")
    }

    // MARK: A slow standard input

    @Test("a standard input that pauses longer than the receiver's idle timeout is waited for, over every protocol",
          arguments: ["tcp", "sr", "sw"])
    func aSlowStandardInputIsWaitedFor(protocolName: String) throws {
        let fixture = try ReceiverFixture(receiverArguments: ["--idle-timeout", "400ms"])
        defer { fixture.finish() }
        let result = try ProgramRunner.runShell(
            #"(head -c 200000 /dev/zero; sleep 1.5; head -c 1000 /dev/zero) | exec "$1" - "$2" --name slow.bin --protocol "$3" --quiet"#,
            [ProgramRunner.url(of: "rudp-send").path, fixture.receiver.address, protocolName], timeout: 30)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try fixture.received("slow.bin") == Data(count: 201_000))
    }

    // MARK: A name taken while the file was on its way

    @Test("a name taken while the file was received is reported as not saved, not as a refusal", arguments: ["sr", "tcp"])
    func aNameTakenDuringTheTransferIsNotARefusal(protocolName: String) throws {
        let fixture = try ReceiverFixture()
        defer { fixture.finish() }
        // The name is free when the transfer starts; it is taken during the pause of the input.
        let send = BackgroundRun(
            shell: #"(head -c 100000 /dev/zero; sleep 1; head -c 1000 /dev/zero) | exec "$1" - "$2" --name clash.bin --protocol "$3" --quiet"#,
            [ProgramRunner.url(of: "rudp-send").path, fixture.receiver.address, protocolName], timeout: 30)
        usleep(500_000)
        try Data("mine".utf8).write(to: fixture.incoming.appendingPathComponent("clash.bin"))
        let result = try #require(send.wait(timeout: 30))
        #expect(result.status == 1)
        #expect(result.stderr.contains("receiver did not save the file: 'clash.bin' appeared"), "\(result.stderr)")
        #expect(!result.stderr.contains("refused"), "\(result.stderr)")
        #expect(try fixture.received("clash.bin") == Data("mine".utf8), "the file that took the name is kept")
    }

    // MARK: Output that cannot be written

    @Test("help that cannot be written (> /dev/full) fails with one line and exit 1, in every program",
          arguments: ["rudp-send", "rudp-recv", "lossproxy", "rudp-lab"])
    func helpToAFullDeviceFails(program: String) throws {
        let result = try ProgramRunner.runShell(#"exec "$1" --help > /dev/full"#, [ProgramRunner.url(of: program).path])
        #expect(result.status == 1)
        #expect(result.stderr == "\(program): cannot write to standard output: No space left on device\n", "\(result.stderr)")
    }

    @Test("a JSON summary that cannot be written (> /dev/full) fails the sender, though the file arrived")
    func jsonToAFullDeviceFails() throws {
        let fixture = try ReceiverFixture()
        defer { fixture.finish() }
        try fixture.scratch.randomFile("f.bin", size: 10_000)
        let result = try ProgramRunner.runShell(#"exec "$1" "$2" "$3" --json > /dev/full"#,
                                                [ProgramRunner.url(of: "rudp-send").path, fixture.scratch.file("f.bin").path,
                                                 fixture.receiver.address])
        #expect(result.status == 1)
        #expect(result.stderr.hasSuffix("rudp-send: cannot write to standard output: No space left on device\n"),
                "\(result.stderr)")
    }

    // MARK: Terminal escapes

    @Test("the sender escapes a receiver's refusal: no ESC or BEL from the peer reaches its stderr")
    func aRefusalWithEscapesIsShownEscaped() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        try scratch.randomFile("f.bin", size: 1_000)
        let fakeReceiver = try HostilePeer()
        let send = BackgroundRun("rudp-send", [scratch.file("f.bin").path, "127.0.0.1:\(fakeReceiver.port)",
                                               "--protocol", "sw", "--max-retries", "3"], timeout: 30)
        fakeReceiver.collect(for: 10) { peer in peer.decodedReplies.contains { $0.header.type == .syn } }
        let index = try #require(fakeReceiver.decodedReplies.firstIndex { $0.header.type == .syn })
        let syn = fakeReceiver.decodedReplies[index].header
        let hostile = "\u{1B}[31mred\u{1B}]0;owned\u{07}\u{9B}2J"
        let reset = ResetPayload(code: .unsafeName, message: hostile)
        fakeReceiver.send(ForgedPacket.packet(PacketHeader(type: .reset, connectionID: syn.connectionID), payload: reset.encoded()),
                          to: Int(fakeReceiver.replyPorts[index]))
        let result = try #require(send.wait(timeout: 30))
        #expect(result.status == 1)
        #expect(!result.stderr.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 || $0.value == 0x9B },
                "raw escapes: \(result.stderr.debugDescription)")
        #expect(result.stderr.contains("\\x1B[31mred\\x1B]0;owned\\x07\\x9B2J"), "\(result.stderr.debugDescription)")
    }

    @Test("a name with C1 control characters is refused, and the receiver logs it escaped",
          arguments: ["next\u{85}line", "csi\u{9B}31m"])
    func aNameWithC1ControlsIsRefused(name: String) throws {
        let fixture = try ReceiverFixture()
        defer { fixture.finish() }
        let peer = try HostilePeer()
        peer.send(ForgedPacket.syn(connectionID: 0xC1C1, name: name), to: fixture.receiver.port)
        peer.collect(for: 5) { $0.decodedReplies.contains { $0.header.type == .reset } }
        let reset = try #require(peer.decodedReplies.first { $0.header.type == .reset })
        let payload = try reset.payload.withUnsafeBytes { try ResetPayload(decoding: $0) }
        #expect(payload.code == .unsafeName)
        #expect(payload.message.contains("control character"), "\(payload.message)")
        fixture.receiver.stop()
        let log = fixture.receiver.stderr.text()
        #expect(!log.unicodeScalars.contains { (0x80...0x9F).contains($0.value) }, "\(log.debugDescription)")
        #expect(fixture.incomingContents().isEmpty)
    }

    // MARK: Paths and names that are not UTF-8

    @Test("a file whose path is not UTF-8 is opened and its name sent as its bytes, which the receiver refuses by name")
    func aPathThatIsNotUTF8IsOpened() throws {
        let fixture = try ReceiverFixture()
        defer { fixture.finish() }
        let result = try ProgramRunner.runShell(#"printf x > "$(printf 'caf\351.txt')" && exec "$1" "$(printf 'caf\351.txt')" "$2""#,
                                                [ProgramRunner.url(of: "rudp-send").path, fixture.receiver.address],
                                                directory: fixture.scratch.url, timeout: 30)
        #expect(result.status == 1)
        #expect(!result.stderr.contains("cannot open"), "\(result.stderr)")
        #expect(result.stderr.contains("'caf\\xE9.txt' is refused: it is not valid UTF-8"), "\(result.stderr)")
    }

    @Test("--name is sent exactly as given, byte for byte, and shown escaped")
    func aNameThatIsNotUTF8IsSentAsItsBytes() throws {
        let fixture = try ReceiverFixture()
        defer { fixture.finish() }
        try fixture.scratch.randomFile("f.bin", size: 100)
        let result = try ProgramRunner.runShell(#"exec "$1" "$2" "$3" --name "$(printf '\377\376')""#,
                                                [ProgramRunner.url(of: "rudp-send").path, fixture.scratch.file("f.bin").path,
                                                 fixture.receiver.address], timeout: 30)
        #expect(result.status == 1)
        #expect(result.stderr.contains("'\\xFF\\xFE' is refused"), "\(result.stderr)")
        #expect(!result.stderr.contains("\u{FFFD}"), "\(result.stderr)")
    }

    @Test("rudp-send --trace writes to a path that is not UTF-8 exactly as given, and names it escaped when it cannot")
    func aTracePathThatIsNotUTF8IsWrittenAsItsBytes() throws {
        let fixture = try ReceiverFixture()
        defer { fixture.finish() }
        try fixture.scratch.randomFile("f.bin", size: 5_000)
        let result = try ProgramRunner.runShell(#"exec "$1" f.bin "$2" --name t.bin --trace "$(printf 'tr\351.jsonl')""#,
                                                [ProgramRunner.url(of: "rudp-send").path, fixture.receiver.address],
                                                directory: fixture.scratch.url, timeout: 30)
        #expect(result.status == 0, "\(result.stderr)")
        // FileManager would show the byte as U+FFFD either way: the shell looks for the exact bytes.
        let check = try ProgramRunner.runShell(#"test -s "$(printf 'tr\351.jsonl')" && ! test -e "$(printf 'tr\357\277\275.jsonl')""#,
                                               [], directory: fixture.scratch.url, timeout: 10)
        #expect(check.status == 0, "the trace is not under the exact bytes given")
        let refused = try ProgramRunner.runShell(#"exec "$1" f.bin "$2" --name u.bin --trace "$(printf 'no\351/x.jsonl')""#,
                                                 [ProgramRunner.url(of: "rudp-send").path, fixture.receiver.address],
                                                 directory: fixture.scratch.url, timeout: 30)
        #expect(refused.status == 1 && refused.stderr.contains("cannot create trace file no\\xE9/x.jsonl"), "\(refused.stderr)")
    }

    @Test("rudp-recv --out takes a directory whose name is not UTF-8")
    func anOutputDirectoryThatIsNotUTF8IsUsed() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let original = try scratch.randomFile("f.bin", size: 5_000)
        let receiver = try ProgramRunner.startListeningShell(
            #"mkdir "$(printf 'd\351')" && exec "$1" --listen 127.0.0.1:0 --out "$(printf 'd\351')" --once"#,
            [ProgramRunner.url(of: "rudp-recv").path], directory: scratch.url)
        defer { receiver.process.terminate() }
        let send = try ProgramRunner.run("rudp-send", [scratch.file("f.bin").path, "127.0.0.1:\(receiver.port)", "--quiet"])
        #expect(send.status == 0, "\(send.stderr)")
        #expect(ProgramRunner.waitForExit(receiver.process, timeout: 10))
        // Foundation cannot name the directory (it repairs the byte 0xE9): read it with open(2).
        let savedPath = Array(scratch.url.path.utf8) + Array("/d".utf8) + [0xE9] + Array("/f.bin".utf8)
        let saved = try #require(readWholeFile(atBytes: savedPath), "no f.bin in d\\xE9")
        #expect(saved == original)
    }
}

/// The contents of the file at a path given as bytes (not necessarily UTF-8), nil if it cannot be read.
func readWholeFile(atBytes path: [UInt8]) -> Data? {
    let descriptor = (path + [0]).withUnsafeBufferPointer { buffer in
        buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) { open($0, O_RDONLY) }
    }
    guard descriptor >= 0 else { return nil }
    defer { close(descriptor) }
    var data = Data()
    var chunk = [UInt8](repeating: 0, count: 65_536)
    while true {
        let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        if count < 0 { return nil }
        if count == 0 { return data }
        data.append(contentsOf: chunk[0..<count])
    }
}

/// Polls `condition` every 20 ms for up to `seconds`.
func waitUntil(seconds: Double, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while !condition() {
        if Date() > deadline { return false }
        usleep(20_000)
    }
    return true
}

/// Runs a protocol-core `Sender` over a UDP socket against a real receiver on loopback: a sender
/// that can announce one size and send another, as a changed file did before senders checked.
struct CoreSenderRun {
    let state: SenderState

    init(configuration: SenderConfiguration, content: [UInt8], port: Int, timeout: Double = 20) throws {
        let peer = try HostilePeer()
        let start = Date()
        func now() -> UInt64 { UInt64(Date().timeIntervalSince(start) * 1e9) + 1 }
        let sender = Sender(configuration: configuration, now: now())
        var written = 0
        var buffer = [UInt8](repeating: 0, count: 65_536)
        var handled = 0
        while Date().timeIntervalSince(start) < timeout {
            if sender.state == .transferring && written < content.count {
                written += content.withUnsafeBytes { sender.write(UnsafeRawBufferPointer(rebasing: $0[written...])) }
                if written == content.count { sender.finishWriting(sha256: SHA256.hash(content)) }
            }
            while let length = buffer.withUnsafeMutableBytes({ sender.pollTransmit(into: $0, now: now()) }) {
                peer.send(Array(buffer[0..<length]), to: port)
            }
            switch sender.state {
            case .finished, .failed:
                state = sender.state
                return
            default: break
            }
            peer.collect(for: 0.01)
            for reply in peer.replies.dropFirst(handled) {
                _ = reply.withUnsafeBytes { sender.handle(datagram: $0, now: now()) }
            }
            handled = peer.replies.count
            sender.handleTimeout(now: now())
        }
        state = sender.state
    }
}
