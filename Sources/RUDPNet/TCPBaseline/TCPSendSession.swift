import CLIKit
import RUDP
import SystemKit

/// One running TCP baseline send on a connected non-blocking stream: writes the HEADER, waits
/// for acceptance, streams the file as chunks straight from one reusable buffer, sends the END
/// with the SHA-256 and waits for the confirmation, watching for an early STATUS throughout.
final class TCPSendSession {
    /// File bytes per chunk: large enough that system calls cost little next to the copying.
    static let chunkLength = 1 << 20
    /// While the input is slow, a KEEPALIVE goes out after this long without a write, well
    /// within any receiver's idle timeout (RUDP's keepalive interval).
    static let keepaliveInterval: UInt64 = 250_000_000

    private enum Phase {
        /// The HEADER is going out; the receiver's decision is awaited.
        case awaitingAcceptance
        /// File chunks are going out.
        case streaming
        /// The END is going out or gone; the receiver's confirmation is awaited.
        case awaitingConfirmation
    }

    private let file: OutgoingFile
    private let stream: TCPStream
    private let address: SocketAddress
    private let idleTimeout: UInt64
    private let startTime: UInt64
    private let interruptFileDescriptor: Int32?
    private var watchesInterrupt: Bool
    private var phase = Phase.awaitingAcceptance

    /// A chunk's length prefix followed by its data, or the HEADER, or the END: what is being
    /// written is `outbound[pendingStart..<pendingEnd]`.
    private let outbound: UnsafeMutableRawBufferPointer
    private var pendingStart = 0
    private var pendingEnd = 0
    /// File bytes in the frame being written, counted as sent once it is all written.
    private var pendingFileBytes = 0
    private let inbound = InputByteBuffer(capacity: 4_096)
    private var inputReadable = false
    private var bytesSent: UInt64 = 0
    /// Every byte written to the connection, framing included, and the framing among them
    /// (HEADER, chunk prefixes, END): progress subtracts what the peer has not acknowledged.
    private var streamBytesWritten: UInt64 = 0
    private var framingBytes: UInt64 = 0
    private var lastActivity: UInt64
    /// When the last write went out, for the keepalive.
    private var lastWrite: UInt64
    private var lastProgress: UInt64
    private let progressInterval: UInt64
    /// The congestion control the connection uses, read back once.
    private let congestionControl: String?
    private var poller = Poller(capacity: 3)

    init(file: OutgoingFile, stream: TCPStream, address: SocketAddress, name: [UInt8], idleTimeout: UInt64,
         startTime: UInt64, interruptFileDescriptor: Int32?, progressInterval: UInt64) {
        self.file = file
        self.stream = stream
        self.address = address
        self.idleTimeout = idleTimeout
        self.startTime = startTime
        self.interruptFileDescriptor = interruptFileDescriptor
        watchesInterrupt = interruptFileDescriptor != nil
        lastActivity = MonotonicClock.now()
        lastWrite = lastActivity
        lastProgress = startTime
        self.progressInterval = progressInterval
        congestionControl = stream.congestionControl
        outbound = UnsafeMutableRawBufferPointer.allocate(
            byteCount: TCPBaselineFraming.chunkPrefixLength + Self.chunkLength, alignment: 16)
        let header = TCPBaselineFraming.encodeHeader(name: name, size: file.size)
        header.withUnsafeBytes { outbound.copyMemory(from: $0) }
        pendingEnd = header.count
        framingBytes = UInt64(header.count)
    }

    deinit { outbound.deallocate() }

    private var hasPending: Bool { pendingStart < pendingEnd }

    /// Whether the next chunk should come from the file.
    private var wantsFileData: Bool { phase == .streaming && !hasPending }

    func run(isInterrupted: () -> String?, progress: (SendProgress) -> Void) throws(SendFailure) -> SendReport {
        while true {
            var now = MonotonicClock.now()
            // A regular file never blocks a read; a pipe is read only once poll says it may be.
            if wantsFileData && (!file.isStream || inputReadable) {
                inputReadable = false
                try readChunk()
            } else if wantsFileData && now &- lastWrite >= Self.keepaliveInterval {
                queueKeepalive()
            }
            if hasPending { try writePending(now: now) }
            if now &- lastProgress >= progressInterval {
                lastProgress = now
                progress(currentProgress)
            }

            let readsFileNow = wantsFileData && !file.isStream
            let waitsForInput = wantsFileData && file.isStream
            poller.removeAll()
            let socketIndex = poller.add(stream.fileDescriptor, interest: hasPending ? [.readable, .writable] : .readable)
            let interruptIndex = watchesInterrupt ? interruptFileDescriptor.map { poller.add($0, interest: .readable) } : nil
            let inputIndex = waitsForInput ? poller.add(file.fileDescriptor, interest: .readable) : nil
            // Waiting for standard input is the user's business (with keepalives meanwhile);
            // waiting for the receiver is bounded.
            var deadline: UInt64? = readsFileNow ? 0 : waitsForInput ? lastWrite &+ Self.keepaliveInterval
                : lastActivity &+ idleTimeout
            // Progress is due even while the connection is stalled (a starved flow is progress too).
            deadline = min(deadline ?? .max, lastProgress &+ progressInterval)
            let ready: Int
            do { ready = try poller.wait(until: deadline, spinningFor: 0, idleWork: file.performIdleWork) } catch { throw SendFailure("poll: \(error)") }
            now = MonotonicClock.now()

            if let interruptIndex, !poller.events(at: interruptIndex).isEmpty {
                if let reason = isInterrupted() { throw SendFailure(reason) }
                watchesInterrupt = false  // readable without a reason: stop polling it rather than spin
            }
            if let inputIndex, !poller.events(at: inputIndex).isEmpty { inputReadable = true }
            if !poller.events(at: socketIndex).isEmpty, try receiveStatus(now: now) {
                progress(currentProgress)
                return SendReport(protocolName: "tcp", bytes: file.bytesRead, seconds: Double(now &- startTime) / 1e9,
                                  sha256: file.digest!, statistics: nil)
            }
            if ready == 0, !readsFileNow, !waitsForInput, now >= lastActivity &+ idleTimeout {
                // A stall while the kernel backs off its retransmission timer is TCP's own (at 20 %
                // loss each way, waits of 25.6 s and 51.2 s happen): the baseline measures it, and
                // the kernel ends a connection that never recovers (ETIMEDOUT, net.ipv4.tcp_retries2).
                // A receiver that stopped reading gets zero-window probes, not timeouts: that fails.
                guard (stream.connectionInfo?.unrecoveredTimeouts ?? 0) > 0 else { throw idleFailure() }
                lastActivity = now
            }
        }
    }

    /// File bytes the receiver's TCP has acknowledged (where the kernel says how many are
    /// outstanding; written ones elsewhere), with the kernel's view of the connection.
    private var currentProgress: SendProgress {
        var acknowledged = bytesSent
        if let outstanding = stream.unacknowledgedBytes {
            // Framing not yet acknowledged is counted as if it were: at most a few bytes early.
            let streamAcknowledged = streamBytesWritten - min(streamBytesWritten, UInt64(outstanding))
            acknowledged = min(bytesSent + UInt64(pendingFileBytes), streamAcknowledged - min(streamAcknowledged, framingBytes))
        }
        var progress = SendProgress(bytesAcknowledged: acknowledged, totalBytes: file.size,
                                    retransmissions: 0)
        progress.tcpCongestionControl = congestionControl
        if let info = stream.connectionInfo {
            progress.retransmissions = info.retransmissions
            progress.smoothedRTT = info.smoothedRTT
            progress.congestionWindow = info.congestionWindow
        }
        return progress
    }

    // MARK: Outbound

    /// Fills the buffer with the next chunk, or with the END once the file is exhausted.
    private func readChunk() throws(SendFailure) {
        let prefix = TCPBaselineFraming.chunkPrefixLength
        let count: Int
        do {
            count = try file.read(into: UnsafeMutableRawBufferPointer(rebasing: outbound[prefix...]))
        } catch {
            throw SendFailure(error.message)
        }
        TCPBaselineFraming.store(UInt32(count), outbound, at: 0)
        pendingStart = 0
        framingBytes += UInt64(count > 0 ? prefix : prefix + TCPBaselineFraming.digestLength)
        if count > 0 {
            pendingEnd = prefix + count
            pendingFileBytes = count
        } else {
            file.digest!.withUnsafeBytes { digest in
                UnsafeMutableRawBufferPointer(rebasing: outbound[prefix..<(prefix + digest.count)]).copyMemory(from: digest)
            }
            pendingEnd = prefix + TCPBaselineFraming.digestLength
            pendingFileBytes = 0
            phase = .awaitingConfirmation
        }
    }

    /// Makes a KEEPALIVE the pending frame (the buffer is free: the input is awaited).
    private func queueKeepalive() {
        TCPBaselineFraming.store(TCPBaselineFraming.keepaliveMarker, outbound, at: 0)
        pendingStart = 0
        pendingEnd = TCPBaselineFraming.chunkPrefixLength
        pendingFileBytes = 0
        framingBytes += UInt64(TCPBaselineFraming.chunkPrefixLength)
    }

    /// Writes as much of the pending frame as the connection takes now.
    private func writePending(now: UInt64) throws(SendFailure) {
        while hasPending {
            let written: Int?
            do {
                written = try stream.write(UnsafeRawBufferPointer(rebasing: outbound[pendingStart..<pendingEnd]))
            } catch {
                // The receiver may have said why before it closed: prefer its words.
                _ = try receiveStatus(now: now)
                throw connectionLost(error)
            }
            guard let written else { return }
            pendingStart += written
            streamBytesWritten += UInt64(written)
            lastActivity = now
            lastWrite = now
        }
        bytesSent += UInt64(pendingFileBytes)
        pendingFileBytes = 0
        pendingStart = 0
        pendingEnd = 0
    }

    // MARK: Inbound

    /// Reads what the receiver sent and acts on each complete STATUS; true once the file is
    /// confirmed. Throws the receiver's refusal, or the loss of the connection.
    private func receiveStatus(now: UInt64) throws(SendFailure) -> Bool {
        while true {
            let space = inbound.spaceForReading()
            guard !space.isEmpty else { throw SendFailure("the receiver at TCP \(address) sent an oversized status") }
            let count: Int?
            do { count = try stream.read(into: space) } catch { throw connectionLost(error) }
            guard let count else { return false }
            guard count > 0 else { throw connectionLost(nil) }
            inbound.didRead(count)
            lastActivity = now
            while true {
                let decoded: (TCPBaselineStatus, Int)?
                do { decoded = try TCPBaselineStatus.decode(inbound.bytes) } catch {
                    throw SendFailure("the receiver at TCP \(address) broke the protocol: \(error)")
                }
                guard let (status, length) = decoded else { break }
                inbound.consume(length)
                if try handle(status) { return true }
            }
        }
    }

    /// Acts on one STATUS; true when it confirms the file.
    private func handle(_ status: TCPBaselineStatus) throws(SendFailure) -> Bool {
        // The receiver's words are its own: escaped, so that they cannot drive the terminal.
        let message = TerminalText.escaping(status.message)
        switch (phase, status.failure) {
        case (.awaitingAcceptance, nil):
            phase = .streaming
            return false
        case (.awaitingAcceptance, .some):
            throw SendFailure("receiver refused the transfer: \(message)")
        case (.streaming, nil):
            throw SendFailure("the receiver at TCP \(address) broke the protocol: it confirmed the file before the end")
        case (.streaming, .some):
            throw SendFailure("receiver stopped the transfer: \(message)")
        case (.awaitingConfirmation, nil):
            guard !hasPending else {
                throw SendFailure("the receiver at TCP \(address) broke the protocol: it confirmed the file before the end")
            }
            return true
        case (.awaitingConfirmation, .some):
            throw SendFailure("receiver did not save the file: \(message)")
        }
    }

    // MARK: Failures

    private func connectionLost(_ error: SystemError?) -> SendFailure {
        let detail = error.map { $0.isConnectionReset ? " (connection reset)" : " (\($0))" } ?? ""
        if phase == .awaitingAcceptance {
            return SendFailure("the receiver at TCP \(address) closed the connection without answering\(detail): "
                + "is it rudp-recv?")
        }
        return SendFailure("the receiver closed the connection before confirming the file\(detail)")
    }

    private func idleFailure() -> SendFailure {
        let limit = TCPBaselineText.duration(idleTimeout)
        switch phase {
        case .awaitingAcceptance:
            return SendFailure("the receiver at TCP \(address) did not answer within \(limit) (idle timeout)")
        case .streaming:
            return SendFailure("the receiver stopped reading: no progress for \(limit) (idle timeout)")
        case .awaitingConfirmation:
            return SendFailure("the receiver did not confirm the file within \(limit) (idle timeout)")
        }
    }
}
