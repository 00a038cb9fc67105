#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import RUDP
import Testing
@testable import RUDPNet
@testable import SystemKit

// MARK: - Fixtures

/// A temporary directory for one test, removed with everything in it by `remove()`.
struct BaselineTestDirectory {
    let path: String

    init() throws {
        var template = Array("/tmp/rudp-tcp-baseline-XXXXXX".utf8CString)
        let created = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        path = try #require(created.map { String(cString: $0) })
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }

    /// Every entry, hidden temporary files included, sorted.
    func entries() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: path).sorted()
    }

    func file(_ name: String) -> String { path + "/" + name }

    func write(_ name: String, _ bytes: [UInt8]) throws {
        try #require(FileManager.default.createFile(atPath: file(name), contents: Data(bytes)))
    }

    func contents(of name: String) -> [UInt8]? {
        FileManager.default.contents(atPath: file(name)).map { [UInt8]($0) }
    }
}

/// A receiver for the tests: a loopback listener and a loop on its own thread that runs
/// `InboundTCPTransfer`s through a `Poller`, as rudp-recv does, and collects their reports.
final class BaselineTestReceiver: @unchecked Sendable {
    let listener: TCPListener
    private let lock = NSLock()
    private var collected: [ReceivedFileReport] = []
    private var closedCount = 0
    private let stopPipe: (read: Int32, write: Int32)
    private let stopped = DispatchSemaphore(value: 0)

    init(directory: BaselineTestDirectory, overwrite: Bool = false, idleTimeout: UInt64 = 5_000_000_000) throws {
        listener = try TCPListener(bindingTo: .loopback(.ipv4, port: 0))
        var ends: [Int32] = [-1, -1]
        try #require(pipe(&ends) == 0)
        stopPipe = (ends[0], ends[1])
        let options = ReceiveOptions(outputDirectory: directory.path, overwrite: overwrite, idleTimeout: idleTimeout)
        Thread { [self] in
            serve(options)
            stopped.signal()
        }.start()
    }

    var address: SocketAddress { listener.localAddress }

    /// Aborts what is running, ends the loop and waits for it.
    func stop() {
        var byte: UInt8 = 1
        _ = write(stopPipe.write, &byte, 1)
        _ = stopped.wait(timeout: .now() + 5)
        close(stopPipe.read)
        close(stopPipe.write)
        listener.close()
    }

    /// Waits (bounded) until `count` transfers have reported, and returns their reports.
    func reports(count: Int, within seconds: Double = 10) -> [ReceivedFileReport] {
        let end = Date().addingTimeInterval(seconds)
        while true {
            let current = lock.withLock { collected }
            if current.count >= count || Date() > end { return current }
            usleep(2_000)
        }
    }

    /// Waits (bounded) until `count` connections have been closed and forgotten.
    func waitForClosedConnections(_ count: Int, within seconds: Double = 10) -> Bool {
        let end = Date().addingTimeInterval(seconds)
        while lock.withLock({ closedCount }) < count {
            if Date() > end { return false }
            usleep(2_000)
        }
        return true
    }

    private func serve(_ options: ReceiveOptions) {
        var transfers: [InboundTCPTransfer] = []
        var reported = Set<ObjectIdentifier>()
        var poller = Poller()
        while true {
            poller.removeAll()
            let listenerIndex = poller.add(listener.fileDescriptor, interest: .readable)
            let stopIndex = poller.add(stopPipe.read, interest: .readable)
            let firstTransferIndex = poller.count
            for transfer in transfers { poller.add(transfer.fileDescriptor, interest: transfer.pollInterest) }
            let deadline = transfers.compactMap(\.nextDeadline).min()
            guard (try? poller.wait(until: deadline)) != nil else { return }
            let now = MonotonicClock.now()
            let stopping = !poller.events(at: stopIndex).isEmpty
            for (offset, transfer) in transfers.enumerated() where !poller.events(at: firstTransferIndex + offset).isEmpty {
                transfer.handleReady(now: now)
            }
            if !poller.events(at: listenerIndex).isEmpty {
                while let stream = try? listener.accept() {
                    let transfer = InboundTCPTransfer(stream: stream, peer: stream.peerAddress, options: options, now: now,
                                                      uniqueToken: SystemRandom.uint64())
                    transfers.append(transfer)
                    transfer.handleReady(now: now)
                }
            }
            for transfer in transfers {
                if stopping { transfer.abort(reason: "the receiver was stopped") }
                if let next = transfer.nextDeadline, next <= now { transfer.handleTimeout(now: now) }
            }
            for transfer in transfers {
                guard let report = transfer.report, reported.insert(ObjectIdentifier(transfer)).inserted else { continue }
                lock.withLock { collected.append(report) }
            }
            let closed = transfers.filter(\.isClosed)
            // A freed transfer's identifier may be reused by the next one: forget it with it.
            for transfer in closed { reported.remove(ObjectIdentifier(transfer)) }
            transfers.removeAll(where: \.isClosed)
            lock.withLock { closedCount += closed.count }
            if stopping { return }
        }
    }
}

/// A hand-driven client, for framing the real client never sends.
final class RawBaselineClient {
    let stream: TCPStream
    private var received: [UInt8] = []

    init(to address: SocketAddress) throws {
        stream = try TCPStream.connect(to: address, timeout: .seconds(2), blocking: true)
    }

    func send(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try stream.writeAll($0) }
    }

    func sendChunk(_ data: [UInt8]) throws {
        var frame: [UInt8] = []
        TCPBaselineFraming.append(UInt32(data.count), to: &frame)
        try send(frame + data)
    }

    func sendEnd(digest: SHA256Digest) throws {
        try send([0, 0, 0, 0] + digest.bytes)
    }

    /// The next STATUS, or nil at end of stream or after `seconds`.
    func readStatus(within seconds: UInt64 = 5) throws -> TCPBaselineStatus? {
        let end = MonotonicClock.now() + seconds * 1_000_000_000
        var buffer = [UInt8](repeating: 0, count: 1_024)
        while true {
            if let (status, length) = try received.withUnsafeBytes({ try TCPBaselineStatus.decode($0) }) {
                received.removeFirst(length)
                return status
            }
            guard try stream.wait(for: .readable, until: end) else { return nil }
            let count = try buffer.withUnsafeMutableBytes { try stream.read(into: $0) } ?? 0
            if count == 0 { return nil }
            received += buffer[..<count]
        }
    }

    func close() { stream.close() }
}

/// Feeds a FIFO from a background thread, so that the client reads a stream of unknown size.
final class BaselineFIFOWriter: @unchecked Sendable {
    let path: String
    private let done = DispatchSemaphore(value: 0)
    private let release = DispatchSemaphore(value: 0)

    /// Writes `pieces` in turn (pausing `pause` microseconds between them); after the last,
    /// writes one byte to `notify` if given and waits for `finish()` before closing the FIFO.
    init(directory: BaselineTestDirectory, pieces: [[UInt8]], pause: UInt32 = 0, notify: Int32? = nil) throws {
        path = directory.path + "-fifo"
        try #require(mkfifo(path, 0o600) == 0)
        let path = path
        Thread { [self] in
            let fd = open(path, O_WRONLY | O_CLOEXEC)  // waits for the reader
            if fd >= 0 {
                for piece in pieces {
                    piece.withUnsafeBytes { bytes in
                        var offset = 0
                        while offset < bytes.count {
                            let written = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                            if written <= 0 { return }
                            offset += written
                        }
                    }
                    if pause > 0 { usleep(pause) }
                }
                if let notify {
                    var byte: UInt8 = 1
                    _ = write(notify, &byte, 1)
                    _ = release.wait(timeout: .now() + 10)
                }
                close(fd)
            }
            done.signal()
        }.start()
    }

    /// Lets the writer close its end, waits for it, and removes the FIFO.
    func finish() {
        release.signal()
        _ = done.wait(timeout: .now() + 10)
        unlink(path)
    }
}

/// A fresh directory and a receiver writing into it, where most tests start; the caller stops
/// the receiver, then removes the directory.
func startBaselineReceiver(idleTimeout: UInt64 = 5_000_000_000) throws -> (BaselineTestDirectory, BaselineTestReceiver) {
    let directory = try BaselineTestDirectory()
    do {
        return (directory, try BaselineTestReceiver(directory: directory, idleTimeout: idleTimeout))
    } catch {
        directory.remove()
        throw error
    }
}

/// Expects the receiver's one report to fail with the `message` the client was told, and
/// nothing, not even a temporary file, to be left in `directory`.
func expectFailureReported(_ message: String, by receiver: BaselineTestReceiver, leaving directory: BaselineTestDirectory,
                           sourceLocation: SourceLocation = #_sourceLocation) throws {
    let received = try #require(receiver.reports(count: 1).first, sourceLocation: sourceLocation)
    #expect(received.error == message, sourceLocation: sourceLocation)
    #expect(try directory.entries().isEmpty, sourceLocation: sourceLocation)
}

func baselineRandomBytes(_ count: Int) -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: count)
    bytes.withUnsafeMutableBytes { SystemRandom.fill($0) }
    return bytes
}

/// Sends the file at `path` with the real client, as rudp-send --protocol tcp does.
func sendOverBaseline(_ path: String, to address: SocketAddress, name: String,
                      interruptFileDescriptor: Int32? = nil, isInterrupted: () -> String? = { nil },
                      progress: (SendProgress) -> Void = { _ in }) throws -> SendReport {
    let file = try OutgoingFile(path: path)
    return try TCPSendClient.run(file: file, to: address, name: Array(name.utf8), connectTimeout: 2_000_000_000,
                                 idleTimeout: 5_000_000_000, interruptFileDescriptor: interruptFileDescriptor,
                                 isInterrupted: isInterrupted, progress: progress)
}

/// The one-line message of a failed send.
func baselineSendFailure(_ body: () throws -> SendReport) -> String? {
    do {
        _ = try body()
        return nil
    } catch let failure as SendFailure {
        return failure.message
    } catch {
        return "unexpected error: \(error)"
    }
}

// MARK: - Framing

@Suite("TCP baseline framing")
struct TCPBaselineFramingTests {
    @Test("a HEADER decodes to what was encoded, and is incomplete at every shorter length")
    func headerRoundTrip() throws {
        for (name, size) in [(Array("report.pdf".utf8), UInt64?(3_000_000)), ([0x2F, 0x00, 0xFF], nil), ([], 0)] {
            let bytes = TCPBaselineFraming.encodeHeader(name: name, size: size)
            #expect(Array(bytes.prefix(8)) == Array("RUDPTCP1".utf8))
            #expect(bytes.count == 8 + 2 + name.count + 8)
            let decoded = try bytes.withUnsafeBytes { try TCPBaselineFraming.decodeHeader($0) }
            #expect(decoded?.0 == TCPTransferHeader(name: name, size: size))
            #expect(decoded?.1 == bytes.count)
            for length in 0..<bytes.count {
                let partial = try bytes.withUnsafeBytes {
                    try TCPBaselineFraming.decodeHeader(UnsafeRawBufferPointer(rebasing: $0[0..<length]))
                }
                #expect(partial == nil, "decoded from \(length) of \(bytes.count) bytes")
            }
        }
    }

    @Test("a wrong magic is refused from its first wrong byte; a name over 4096 bytes is refused before it arrives")
    func hostileHeaders() {
        #expect(throws: TCPFramingError.self) {
            try [UInt8]("GET".utf8).withUnsafeBytes { try TCPBaselineFraming.decodeHeader($0) }
        }
        var oversized = Array("RUDPTCP1".utf8)
        TCPBaselineFraming.append(UInt16(4097), to: &oversized)
        #expect(throws: TCPFramingError.self) {
            try oversized.withUnsafeBytes { try TCPBaselineFraming.decodeHeader($0) }
        }
    }

    @Test("a STATUS round-trips; a long message is cut to 512 bytes on a character boundary; a longer one is refused")
    func statusRoundTrip() throws {
        let statuses: [TCPBaselineStatus] = [.success, .failed(.fileExists, "'a' already exists"), .failed(.other, "ünïcödé")]
        for status in statuses {
            let bytes = status.encoded()
            let decoded = try bytes.withUnsafeBytes { try TCPBaselineStatus.decode($0) }
            #expect(decoded?.0 == status)
            #expect(decoded?.1 == bytes.count)
            let partial = try bytes.withUnsafeBytes { try TCPBaselineStatus.decode(UnsafeRawBufferPointer(rebasing: $0.dropLast())) }
            #expect(partial == nil)
        }
        let long = TCPBaselineStatus.failed(.receiverIOError, String(repeating: "é", count: 400))
        let cut = try long.encoded().withUnsafeBytes { try TCPBaselineStatus.decode($0) }
        #expect(cut?.0.message == String(repeating: "é", count: 256))

        var hostile: [UInt8] = [3]
        TCPBaselineFraming.append(UInt16(513), to: &hostile)
        #expect(throws: TCPFramingError.self) { try hostile.withUnsafeBytes { try TCPBaselineStatus.decode($0) } }
    }

    @Test("every reset code survives the one-byte STATUS code; 0 is reserved for success")
    func statusCodes() {
        for code in ResetCode.allCases {
            let wire = TCPBaselineFraming.statusCode(for: code)
            #expect(wire != 0)
            #expect(TCPBaselineFraming.resetCode(forStatus: wire) == code)
        }
        #expect(TCPBaselineFraming.statusCode(for: .other) == 255)
    }
}

// MARK: - Transfers over loopback

@Suite("TCP baseline transfers on loopback", .timeLimit(.minutes(2)))
struct TCPBaselineTransferTests {
    @Test("a random file arrives intact and is confirmed", arguments: [0, 1, 3_000_000])
    func fileArrivesIntact(size: Int) throws {
        let (directory, receiver) = try startBaselineReceiver()
        defer { receiver.stop(); directory.remove() }
        let source = try BaselineTestDirectory()
        defer { source.remove() }

        let data = baselineRandomBytes(size)
        try source.write("payload.bin", data)
        var lastProgress: SendProgress?
        let report = try sendOverBaseline(source.file("payload.bin"), to: receiver.address, name: "payload.bin",
                                          progress: { lastProgress = $0 })

        let digest = SHA256.hash(data)
        #expect(report.protocolName == "tcp")
        #expect(report.bytes == UInt64(size))
        #expect(report.sha256 == digest)
        #expect(report.statistics == nil)
        #expect(report.seconds > 0)
        #expect(lastProgress?.bytesAcknowledged == UInt64(size))
        #expect(lastProgress?.totalBytes == UInt64(size))

        let received = try #require(receiver.reports(count: 1).first)
        #expect(received.error == nil)
        #expect(received.name == "payload.bin")
        #expect(received.bytes == UInt64(size))
        #expect(received.sha256 == digest)
        #expect(received.protocolName == "tcp")
        #expect(directory.contents(of: "payload.bin") == data)
        #expect(try directory.entries() == ["payload.bin"], "no temporary file is left behind")
        #expect(receiver.waitForClosedConnections(1), "the server closes once the client has its confirmation")
    }

    @Test("several senders at once are served independently")
    func concurrentSenders() async throws {
        let (directory, receiver) = try startBaselineReceiver()
        defer { receiver.stop(); directory.remove() }
        let source = try BaselineTestDirectory()
        defer { source.remove() }
        let files = (0..<4).map { index in ("file-\(index)", baselineRandomBytes(500_000 + index * 77_777)) }
        for (name, data) in files { try source.write(name, data) }
        let address = receiver.address
        let sourcePath = source.path
        try await withThrowingTaskGroup(of: SendReport.self) { group in
            for (name, _) in files {
                group.addTask { try sendOverBaseline(sourcePath + "/" + name, to: address, name: name) }
            }
            for try await report in group { #expect(report.protocolName == "tcp") }
        }
        let reports = receiver.reports(count: files.count)
        #expect(reports.count == files.count && reports.allSatisfy { $0.succeeded })
        for (name, data) in files { #expect(directory.contents(of: name) == data, "\(name) differs") }
        #expect(try directory.entries() == files.map(\.0).sorted())
    }

    @Test("a stream of unknown size (a FIFO fed slowly) arrives intact")
    func unknownSizeStream() throws {
        let (directory, receiver) = try startBaselineReceiver()
        defer { receiver.stop(); directory.remove() }
        let pieces = (0..<40).map { index in baselineRandomBytes(1_000 + index * 3_001) }
        let writer = try BaselineFIFOWriter(directory: directory, pieces: pieces, pause: 2_000)
        defer { writer.finish() }

        let file = try OutgoingFile(path: writer.path)
        #expect(file.size == nil && file.isStream)
        let report = try TCPSendClient.run(file: file, to: receiver.address, name: Array("stream.bin".utf8),
                                           connectTimeout: 2_000_000_000, idleTimeout: 5_000_000_000,
                                           interruptFileDescriptor: nil, isInterrupted: { nil }, progress: { _ in })
        let data = pieces.flatMap { $0 }
        #expect(report.bytes == UInt64(data.count))
        #expect(report.sha256 == SHA256.hash(data))
        let received = try #require(receiver.reports(count: 1).first)
        #expect(received.succeeded)
        #expect(directory.contents(of: "stream.bin") == data)
    }

    @Test("an unsafe name is refused with the reason, and nothing is written",
          arguments: ["../escape", "a/b", "..", "bell\u{7}"])
    func unsafeNameRefused(name: String) throws {
        let (directory, receiver) = try startBaselineReceiver()
        defer { receiver.stop(); directory.remove() }
        let source = try BaselineTestDirectory()
        defer { source.remove() }
        try source.write("data", baselineRandomBytes(10_000))

        let message = try #require(baselineSendFailure {
            try sendOverBaseline(source.file("data"), to: receiver.address, name: name)
        })
        #expect(message.hasPrefix("receiver refused the transfer: "))
        #expect(message.contains("is refused: "))
        let received = try #require(receiver.reports(count: 1).first)
        #expect(received.error?.contains("is refused") == true)
        #expect(try directory.entries().isEmpty)
    }

    @Test("an existing file is kept without --overwrite, and replaced with it")
    func existingFile() throws {
        let directory = try BaselineTestDirectory()
        defer { directory.remove() }
        let source = try BaselineTestDirectory()
        defer { source.remove() }
        let old = Array("the old contents".utf8)
        let new = baselineRandomBytes(100_000)
        try directory.write("notes.txt", old)
        try source.write("notes.txt", new)

        let keeping = try BaselineTestReceiver(directory: directory)
        let message = try #require(baselineSendFailure {
            try sendOverBaseline(source.file("notes.txt"), to: keeping.address, name: "notes.txt")
        })
        keeping.stop()
        #expect(message.hasPrefix("receiver refused the transfer: "))
        #expect(message.contains("already exists") && message.contains("--overwrite"))
        #expect(directory.contents(of: "notes.txt") == old)
        #expect(try directory.entries() == ["notes.txt"])

        let replacing = try BaselineTestReceiver(directory: directory, overwrite: true)
        defer { replacing.stop() }
        _ = try sendOverBaseline(source.file("notes.txt"), to: replacing.address, name: "notes.txt")
        #expect(directory.contents(of: "notes.txt") == new)
        #expect(try directory.entries() == ["notes.txt"])
    }

    @Test("a client that vanishes mid-stream leaves neither the file nor its temporary file")
    func clientVanishesMidStream() throws {
        let (directory, receiver) = try startBaselineReceiver()
        defer { receiver.stop(); directory.remove() }

        let client = try RawBaselineClient(to: receiver.address)
        try client.send(TCPBaselineFraming.encodeHeader(name: Array("partial.bin".utf8), size: 1_000_000))
        let acceptance = try #require(try client.readStatus())
        #expect(acceptance == .success)
        let entries = try directory.entries()
        #expect(entries.count == 1 && entries[0].hasSuffix(".part"), "accepted data goes to a temporary file: \(entries)")
        try client.sendChunk(baselineRandomBytes(65_536))
        try client.send([0, 1, 0, 0] + baselineRandomBytes(1_000))  // a chunk announced and cut short
        client.close()

        let received = try #require(receiver.reports(count: 1).first)
        #expect(received.error?.contains("the sender closed the connection after") == true, "\(received.error ?? "")")
        #expect(received.name == "partial.bin")
        #expect(receiver.waitForClosedConnections(1))
        #expect(try directory.entries().isEmpty)
    }

    @Test("an interrupted sender stops at once and the receiver discards the partial stream")
    func interruptedSender() throws {
        let (directory, receiver) = try startBaselineReceiver()
        defer { receiver.stop(); directory.remove() }
        var interrupt: [Int32] = [-1, -1]
        try #require(pipe(&interrupt) == 0)
        defer { close(interrupt[0]); close(interrupt[1]) }
        // The writer signals the "interrupt" after 256 KiB and holds the FIFO open: mid-stream.
        let writer = try BaselineFIFOWriter(directory: directory, pieces: [baselineRandomBytes(256 * 1024)], notify: interrupt[1])

        let started = MonotonicClock.now()
        let message = baselineSendFailure {
            try sendOverBaseline(writer.path, to: receiver.address, name: "interrupted.bin",
                                 interruptFileDescriptor: interrupt[0], isInterrupted: { "interrupted by SIGINT" })
        }
        writer.finish()
        #expect(message == "interrupted by SIGINT")
        #expect(MonotonicClock.now() - started < 3_000_000_000)
        let received = try #require(receiver.reports(count: 1).first)
        #expect(received.error != nil)
        #expect(received.bytes > 0, "the transfer was under way")
        #expect(receiver.waitForClosedConnections(1))
        #expect(try directory.entries().isEmpty)
    }

    @Test("a sender waiting on a slow standard input keeps the transfer alive past the receiver's idle timeout")
    func slowInputOutlivesTheIdleTimeout() throws {
        let (directory, receiver) = try startBaselineReceiver(idleTimeout: 300_000_000)
        defer { receiver.stop(); directory.remove() }
        // 64 KiB, then a second of silence (over three idle timeouts), then the rest: as
        // `(head -c N F; sleep 15; head -c M F) | rudp-send -` does.
        let pieces = [baselineRandomBytes(64 * 1024), baselineRandomBytes(1_000)]
        let writer = try BaselineFIFOWriter(directory: directory, pieces: pieces, pause: 1_000_000)
        defer { writer.finish() }

        let report = try sendOverBaseline(writer.path, to: receiver.address, name: "slow.bin")
        let data = pieces.flatMap { $0 }
        #expect(report.sha256 == SHA256.hash(data))
        let received = try #require(receiver.reports(count: 1).first)
        #expect(received.succeeded, "\(received.error ?? "")")
        #expect(directory.contents(of: "slow.bin") == data)
    }

    @Test("a receiver that gives up on a silent client mid-stream says so in its status, and saves nothing")
    func receiverGivesUpMidStream() throws {
        let (directory, receiver) = try startBaselineReceiver(idleTimeout: 300_000_000)
        defer { receiver.stop(); directory.remove() }
        let client = try RawBaselineClient(to: receiver.address)
        try client.send(TCPBaselineFraming.encodeHeader(name: Array("stalled.bin".utf8), size: 1_000_000))
        #expect(try client.readStatus() == .success)
        try client.sendChunk(baselineRandomBytes(64 * 1024))
        // Then nothing, not even a keepalive: a client that hung.
        let status = try #require(try client.readStatus())
        #expect(status.failure == .idleTimeout)
        #expect(status.message == "no data from the sender for 300ms (idle timeout)")
        client.close()
        let received = try #require(receiver.reports(count: 1).first)
        #expect(received.error?.contains("idle timeout") == true)
        #expect(received.bytes == 64 * 1024)
        #expect(try directory.entries().isEmpty)
    }

    @Test("a SHA-256 that does not match fails the transfer with an integrity status and saves nothing")
    func integrityFailure() throws {
        let (directory, receiver) = try startBaselineReceiver()
        defer { receiver.stop(); directory.remove() }

        let data = baselineRandomBytes(200_000)
        let client = try RawBaselineClient(to: receiver.address)
        try client.send(TCPBaselineFraming.encodeHeader(name: Array("tampered".utf8), size: UInt64(data.count)))
        #expect(try client.readStatus() == .success)
        try client.sendChunk(data)
        try client.sendEnd(digest: SHA256.hash(data + [0]))
        let final = try #require(try client.readStatus())
        #expect(final.failure == .integrityFailure)
        #expect(final.message.contains("SHA-256"))
        client.close()
        try expectFailureReported(final.message, by: receiver, leaving: directory)
    }

    @Test("a file shorter than its HEADER announced is refused, in words that say which is which")
    func aFileShorterThanAnnouncedIsRefused() throws {
        let (directory, receiver) = try startBaselineReceiver()
        defer { receiver.stop(); directory.remove() }
        let data = baselineRandomBytes(20)
        let client = try RawBaselineClient(to: receiver.address)
        try client.send(TCPBaselineFraming.encodeHeader(name: Array("short.bin".utf8), size: 100))
        #expect(try client.readStatus() == .success)
        try client.sendChunk(data)
        try client.sendEnd(digest: SHA256.hash(data))
        let final = try #require(try client.readStatus())
        #expect(final.failure == .integrityFailure)
        #expect(final.message.contains("the sender announced 100 bytes and sent 20"), "\(final.message)")
        client.close()
        try expectFailureReported(final.message, by: receiver, leaving: directory)
    }

    @Test("a receiver's status with terminal escapes reaches the sender's error escaped")
    func aStatusWithEscapesIsEscaped() throws {
        let listener = try TCPListener(bindingTo: .loopback(.ipv4, port: 0))
        defer { listener.close() }
        let address = listener.localAddress
        let fake = Thread {
            // The listener does not block: wait for the sender's connection (bounded).
            var accepted: TCPStream?
            for _ in 0..<500 where accepted == nil {
                accepted = try? listener.accept(blocking: true)
                if accepted == nil { usleep(10_000) }
            }
            guard let stream = accepted else { return }
            let status = TCPBaselineStatus.failed(.unsafeName, "\u{1B}[31mred\u{1B}]0;owned\u{07}")
            _ = try? status.encoded().withUnsafeBytes { try stream.writeAll($0) }
            usleep(200_000)
            stream.close()
        }
        fake.start()
        let source = try BaselineTestDirectory()
        defer { source.remove() }
        try source.write("data", baselineRandomBytes(1_000))
        let message = try #require(baselineSendFailure {
            try sendOverBaseline(source.file("data"), to: address, name: "data")
        })
        #expect(message == "receiver refused the transfer: \\x1B[31mred\\x1B]0;owned\\x07")
    }

    /// Framing a hostile or broken client might send after the HEADER, and what the server must say.
    static let brokenFraming: [(String, [UInt8], String)] = [
        ("an oversized chunk", [0x01, 0x00, 0x00, 0x01], "at most"),
        ("more bytes than announced", [0, 0, 0, 11] + [UInt8](repeating: 7, count: 11), "more than the 10 bytes"),
        ("bytes after the SHA-256", [0, 0, 0, 10] + [UInt8](repeating: 7, count: 10) + [0, 0, 0, 0]
            + SHA256.hash([UInt8](repeating: 7, count: 10)).bytes + [1], "after the SHA-256"),
    ]

    @Test("broken framing after the HEADER ends the transfer with a protocol-violation status",
          arguments: 0..<brokenFraming.count)
    func brokenFramingIsRefused(index: Int) throws {
        let (_, frames, expected) = Self.brokenFraming[index]
        let (directory, receiver) = try startBaselineReceiver()
        defer { receiver.stop(); directory.remove() }

        let client = try RawBaselineClient(to: receiver.address)
        try client.send(TCPBaselineFraming.encodeHeader(name: Array("x".utf8), size: 10))
        #expect(try client.readStatus() == .success)
        try client.send(frames)
        let status = try #require(try client.readStatus())
        #expect(status.failure == .protocolViolation)
        #expect(status.message.contains(expected), "\(status.message)")
        #expect(try client.readStatus() == nil, "the server closes after the status")
        try expectFailureReported(status.message, by: receiver, leaving: directory)
    }

    @Test("a client that does not speak the protocol is told so, and an oversized name length is refused before it is read")
    func hostileHeader() throws {
        let (directory, receiver) = try startBaselineReceiver()
        defer { receiver.stop(); directory.remove() }

        let http = try RawBaselineClient(to: receiver.address)
        try http.send(Array("GET / HTTP/1.1\r\n\r\n".utf8))
        let refusal = try #require(try http.readStatus())
        #expect(refusal.failure == .protocolViolation)
        #expect(refusal.message.contains("bad magic"))

        let greedy = try RawBaselineClient(to: receiver.address)
        var header = Array("RUDPTCP1".utf8)
        TCPBaselineFraming.append(UInt16.max, to: &header)
        try greedy.send(header)
        let tooLong = try #require(try greedy.readStatus())
        #expect(tooLong.failure == .protocolViolation)
        #expect(tooLong.message.contains("65535"))
        let reports = receiver.reports(count: 2)
        #expect(reports.count == 2 && reports.allSatisfy { !$0.succeeded })
        #expect(try directory.entries().isEmpty)
    }

    @Test("a client that goes silent is timed out: it is told so and nothing is left")
    func idleTimeout() throws {
        let (directory, receiver) = try startBaselineReceiver(idleTimeout: 300_000_000)
        defer { receiver.stop(); directory.remove() }

        let client = try RawBaselineClient(to: receiver.address)
        try client.send(TCPBaselineFraming.encodeHeader(name: Array("slow".utf8), size: nil))
        #expect(try client.readStatus() == .success)
        try client.sendChunk(baselineRandomBytes(1_000))
        let started = MonotonicClock.now()
        let status = try #require(try client.readStatus())
        let waited = MonotonicClock.now() - started
        #expect(status.failure == .idleTimeout)
        #expect(status.message.contains("300ms (idle timeout)"))
        #expect(waited >= 250_000_000 && waited < 3_000_000_000)
        try expectFailureReported(status.message, by: receiver, leaving: directory)
    }

    @Test("a receiver shutting down aborts the transfer, tells the client, and discards the file")
    func receiverAborts() throws {
        let directory = try BaselineTestDirectory()
        defer { directory.remove() }
        let receiver = try BaselineTestReceiver(directory: directory)

        let client = try RawBaselineClient(to: receiver.address)
        try client.send(TCPBaselineFraming.encodeHeader(name: Array("cut.bin".utf8), size: nil))
        #expect(try client.readStatus() == .success)
        try client.sendChunk(baselineRandomBytes(10_000))
        receiver.stop()
        // The status is best effort: closing at once may reset the connection before it is read.
        let status = (try? client.readStatus()) ?? nil
        #expect(status == nil || status?.failure == .cancelled)
        let received = try #require(receiver.reports(count: 1).first)
        #expect(received.error == "the receiver was stopped")
        #expect(try directory.entries().isEmpty)
    }

    @Test("nothing listening: the sender says so in one line")
    func connectionRefused() throws {
        let source = try BaselineTestDirectory()
        defer { source.remove() }
        try source.write("data", [1, 2, 3])
        let closed = try TCPListener(bindingTo: .loopback(.ipv4, port: 0))
        let address = closed.localAddress
        closed.close()
        let message = baselineSendFailure { try sendOverBaseline(source.file("data"), to: address, name: "data") }
        #expect(message == "nothing is listening on TCP \(address) (connection refused): is rudp-recv running there?")
    }
}
