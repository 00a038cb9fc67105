import RUDP
import SystemKit

/// The receiving side of one TCP baseline connection (framing: `TCPBaselineFraming`), driven
/// by the receiver's poll loop: it reads and writes without blocking as far as the socket
/// allows, checks the name with `FileNamePolicy`, writes through `IncomingFile` (temporary
/// file, synced, renamed only once size and SHA-256 match), and reports once when it ends.
///
/// Any failure (the client vanishing or closing early, broken framing, a disk error, an
/// integrity failure, the idle timeout, an abort) discards the temporary file; the final
/// name only ever appears through a successful commit.
public final class InboundTCPTransfer {
    /// How long, at most, a finished connection waits for its client to read the last STATUS
    /// and close, before closing itself (closing earlier could reset the STATUS away).
    static let lingerLimit: UInt64 = 2_000_000_000
    /// Reads per `handleReady`, so that one fast connection cannot starve the rest of the loop.
    static let readsPerWakeup = 8
    /// Bytes per read: large, so that system calls cost little next to hashing and copying.
    static let inputCapacity = 1 << 20
    /// Room for the two STATUS messages a connection sends at most (acceptance, then the end).
    static let outputCapacity = 2 * (TCPBaselineFraming.statusPrefixLength + TCPBaselineFraming.maxMessageLength)

    private enum Phase: Equatable {
        case header
        case chunkLength
        case chunkData(remaining: Int)
        case digest
        /// The outcome is decided: the last STATUS goes out, then whatever the client still
        /// sends is discarded until it closes or the deadline passes.
        case closing(until: UInt64)
        case closed

        var isReceiving: Bool {
            switch self {
            case .header, .chunkLength, .chunkData, .digest: true
            case .closing, .closed: false
            }
        }
    }

    /// The client's address.
    public let peer: SocketAddress
    /// Set exactly once, when the transfer ends, successfully or not.
    public private(set) var report: ReceivedFileReport?
    /// The name the sender gave, made printable; empty until its HEADER arrived.
    public private(set) var displayName = ""
    /// The size the sender announced; nil when it is unknown (a pipe) or not announced yet.
    public private(set) var declaredSize: UInt64?
    /// Whether the HEADER was accepted and a file opened for it (for a "started" line).
    public private(set) var wasAccepted = false

    private let stream: TCPStream
    private let options: ReceiveOptions
    private let startTime: UInt64
    private let uniqueToken: UInt64
    private var file: IncomingFile?
    private var phase = Phase.header
    private var lastActivity: UInt64
    private let input = InputByteBuffer(capacity: InboundTCPTransfer.inputCapacity)
    private let output = UnsafeMutableRawBufferPointer.allocate(byteCount: InboundTCPTransfer.outputCapacity, alignment: 8)
    private var outputStart = 0
    private var outputEnd = 0
    private var hasShutDownOutput = false

    /// Takes over an accepted connection (made non-blocking here); `now` starts its clock and
    /// `uniqueToken` names its temporary file.
    public init(stream: TCPStream, peer: SocketAddress, options: ReceiveOptions, now: UInt64, uniqueToken: UInt64) {
        self.stream = stream
        self.peer = peer
        self.options = options
        self.uniqueToken = uniqueToken
        startTime = now
        lastActivity = now
        do {
            if stream.isBlocking { try stream.setBlocking(false) }
            // The STATUS messages are small and awaited: no Nagle delay.
            try stream.setNoDelay(true)
        } catch {
            fail(.receiverIOError, "cannot set up the connection from \(peer): \(error)", now: now, tellSender: false)
        }
    }

    deinit {
        file?.discard()
        output.deallocate()
    }

    /// The socket to poll; -1 once closed.
    public var fileDescriptor: Int32 { stream.fileDescriptor }

    /// What to poll the socket for.
    public var pollInterest: PollEvents {
        if phase == .closed { return [] }
        return outputStart < outputEnd ? [.readable, .writable] : .readable
    }

    /// The socket is closed and the transfer over: the loop can forget it.
    public var isClosed: Bool { phase == .closed }

    /// File bytes received so far.
    public var bytesReceived: UInt64 { file?.bytesWritten ?? 0 }

    /// When `handleTimeout` is next due: the idle timeout, or the end of the closing linger.
    public var nextDeadline: UInt64? {
        switch phase {
        case .closed: nil
        case .closing(let until): until
        default: lastActivity &+ options.idleTimeout
        }
    }

    /// One slice of the file's hashing and writing; false when none is waiting.
    public func performIdleWork() -> Bool {
        file?.performIdleWork() ?? false
    }

    /// Moves bytes after `poll` reported the socket ready (any event, including hang-up).
    public func handleReady(now: UInt64) {
        guard phase != .closed else { return }
        if outputStart < outputEnd { flushOutput(now: now) }
        if phase.isReceiving {
            receive(now: now)
        } else if case .closing = phase {
            discardInput()
        }
    }

    /// Ends a transfer that was idle too long, or a closing connection whose linger is over.
    public func handleTimeout(now: UInt64) {
        switch phase {
        case .closed:
            return
        case .closing(let until):
            if now >= until { close() }
        default:
            guard now >= lastActivity &+ options.idleTimeout else { return }
            fail(.idleTimeout, "no data from the sender for \(TCPBaselineText.duration(options.idleTimeout)) (idle timeout)",
                 now: now)
        }
    }

    /// Stops the transfer at once (the receiver is shutting down): the temporary file is
    /// discarded, the client is told why if its socket takes it now, and the socket is closed.
    public func abort(reason: String) {
        guard phase != .closed else { return }
        if report == nil {
            file?.discard()
            finish(digest: nil, error: reason)
            queue(.failed(.cancelled, reason))
            flushOutput(now: MonotonicClock.now())
        }
        close()
    }

    // MARK: Receiving

    private func receive(now: UInt64) {
        for _ in 0..<Self.readsPerWakeup where phase.isReceiving {
            let space = input.spaceForReading()
            guard !space.isEmpty else {
                // Unreachable with the limits above (only a partial field is ever kept), but a
                // zero-byte read would look like end of stream, so make sure it is never issued.
                fail(.protocolViolation, "the sender's framing overflowed the receive buffer", now: now)
                return
            }
            let count: Int?
            do {
                count = try stream.read(into: space)
            } catch {
                let how = error.isConnectionReset ? "reset the connection" : "lost the connection (\(error))"
                fail(.other, "the sender \(how) \(progressText)", now: now, tellSender: false)
                return
            }
            guard let count else { break }
            lastActivity = now
            guard count > 0 else {
                fail(.other, "the sender closed the connection \(progressText)", now: now, tellSender: false)
                return
            }
            input.didRead(count)
            parse(now: now)
        }
        if outputStart < outputEnd { flushOutput(now: now) }
    }

    /// Where the transfer stood, for the message of an early end.
    private var progressText: String {
        guard wasAccepted else { return "before sending a complete header" }
        let total = declaredSize.map { " of \($0)" } ?? ""
        return "after \(bytesReceived)\(total) bytes, before the end of the file"
    }

    /// Acts on every complete field in the input.
    private func parse(now: UInt64) {
        while true {
            switch phase {
            case .header:
                let decoded: (TCPTransferHeader, Int)?
                do { decoded = try TCPBaselineFraming.decodeHeader(input.bytes) } catch {
                    fail(.protocolViolation, error.message, now: now)
                    return
                }
                guard let (header, length) = decoded else { return }
                input.consume(length)
                begin(header, now: now)
            case .chunkLength:
                guard input.count >= TCPBaselineFraming.chunkPrefixLength else { return }
                let prefix = TCPBaselineFraming.load(UInt32.self, input.bytes, at: 0)
                let length = Int(prefix)
                input.consume(TCPBaselineFraming.chunkPrefixLength)
                if prefix == TCPBaselineFraming.keepaliveMarker {
                    continue  // reading it was the activity that counts
                } else if length == 0 {
                    phase = .digest
                } else if length > TCPBaselineFraming.maxChunkLength {
                    fail(.protocolViolation, "the sender framed a chunk of \(length) bytes (at most "
                        + "\(TCPBaselineFraming.maxChunkLength))", now: now)
                } else if let declaredSize, bytesReceived + UInt64(length) > declaredSize {
                    fail(.protocolViolation, "the sender sent more than the \(declaredSize) bytes it announced", now: now)
                } else {
                    phase = .chunkData(remaining: length)
                }
            case .chunkData(let remaining):
                let take = min(remaining, input.count)
                guard take > 0, let file else { return }
                do {
                    try file.write(UnsafeRawBufferPointer(rebasing: input.bytes[0..<take]))
                } catch {
                    fail(.receiverIOError, "receiver cannot write the file: \(error)", now: now)
                    return
                }
                input.consume(take)
                phase = take == remaining ? .chunkLength : .chunkData(remaining: remaining - take)
            case .digest:
                guard input.count >= TCPBaselineFraming.digestLength else { return }
                let digest = SHA256Digest(bytes: input.bytes[0..<TCPBaselineFraming.digestLength])!
                input.consume(TCPBaselineFraming.digestLength)
                guard input.count == 0 else {
                    fail(.protocolViolation, "the sender sent \(input.count) bytes after the SHA-256", now: now)
                    return
                }
                commit(digest, now: now)
            case .closing, .closed:
                return
            }
        }
    }

    /// Decides on the HEADER: a refusal, or the acceptance with the temporary file opened.
    private func begin(_ header: TCPTransferHeader, now: UInt64) {
        declaredSize = header.size
        displayName = FileNamePolicy.printable(header.name)
        switch FileNamePolicy.validate(header.name) {
        case .failure(let refusal):
            fail(.unsafeName, refusal.message, now: now)
        case .success(let name):
            do {
                file = try IncomingFile(directory: options.outputDirectory, name: name, overwrite: options.overwrite,
                                        uniqueToken: uniqueToken)
            } catch {
                fail(Self.resetCode(for: error), error.message, now: now)
                return
            }
            wasAccepted = true
            queue(.success)
            phase = .chunkLength
        }
    }

    /// Checks size and digest, saves the file under its name and confirms it.
    private func commit(_ digest: SHA256Digest, now: UInt64) {
        guard let file else { return }
        do {
            try file.commit(announcedSize: declaredSize, expectedDigest: digest)
        } catch {
            fail(Self.resetCode(for: error), error.message, now: now)
            return
        }
        finish(digest: digest, error: nil)
        queue(.success)
        startClosing(now: now)
    }

    private static func resetCode(for error: FileError) -> ResetCode {
        switch error.kind {
        case .exists: .fileExists
        case .integrity: .integrityFailure
        case .io: .receiverIOError
        }
    }

    // MARK: Sending STATUS

    private func queue(_ status: TCPBaselineStatus) {
        let bytes = status.encoded()
        precondition(outputEnd + bytes.count <= output.count, "more STATUS messages than a connection sends")
        bytes.withUnsafeBytes { source in
            UnsafeMutableRawBufferPointer(rebasing: output[outputEnd..<(outputEnd + source.count)]).copyMemory(from: source)
        }
        outputEnd += bytes.count
    }

    private func flushOutput(now: UInt64) {
        while outputStart < outputEnd {
            let written: Int?
            do {
                written = try stream.write(UnsafeRawBufferPointer(rebasing: output[outputStart..<outputEnd]))
            } catch {
                if phase.isReceiving {
                    fail(.other, "the sender lost the connection (\(error)) \(progressText)", now: now, tellSender: false)
                } else {
                    close()
                }
                return
            }
            guard let written else { return }
            outputStart += written
            lastActivity = now
        }
        if case .closing = phase, !hasShutDownOutput {
            // FIN after the last STATUS: the client reads it, then its end of stream.
            hasShutDownOutput = true
            try? stream.shutdownWrite()
        }
    }

    // MARK: Ending

    /// Records the failure once, discards the file, and either tells the client why (then
    /// lingers for it to read that) or, when it is gone, closes at once.
    private func fail(_ code: ResetCode, _ message: String, now: UInt64, tellSender: Bool = true) {
        guard phase.isReceiving else { return }
        file?.discard()
        finish(digest: nil, error: message)
        guard tellSender else {
            close()
            return
        }
        queue(.failed(code, message))
        startClosing(now: now)
        flushOutput(now: now)
    }

    private func startClosing(now: UInt64) {
        phase = .closing(until: now &+ min(options.idleTimeout, Self.lingerLimit))
        input.removeAll()
    }

    /// Reads and drops what the client still sends while closing; its end of stream (or an
    /// error) closes the socket.
    private func discardInput() {
        for _ in 0..<Self.readsPerWakeup {
            input.removeAll()
            let count: Int?
            do { count = try stream.read(into: input.spaceForReading()) } catch {
                close()
                return
            }
            guard let count else { return }
            if count == 0 {
                close()
                return
            }
        }
    }

    private func finish(digest: SHA256Digest?, error: String?) {
        guard report == nil else { return }
        // The clock is read here, not taken from the loop, so that the fsync of the commit counts.
        let seconds = Double(MonotonicClock.now() &- startTime) / 1e9
        report = ReceivedFileReport(name: displayName, bytes: bytesReceived, seconds: seconds, protocolName: "tcp",
                                    sha256: digest, peer: peer.description, error: error)
    }

    private func close() {
        file?.discard()
        stream.close()
        phase = .closed
        input.removeAll()
    }
}
