import CLIKit
import RUDP
import SystemKit

/// Settings of an outgoing RUDP transfer, as the command line gives them.
public struct RUDPSendOptions: Sendable {
    public var mode: TransferMode
    public var mss: Int
    public var window: Int
    public var retransmission: RetransmissionTimer.Policy
    public var maxRetries: Int
    public var congestionControl: CongestionAlgorithm = .none
    /// Whether runs of datagrams leave with UDP segmentation offload, one system call (and one
    /// captured frame) per run; false (`--no-gso`): one `send` per datagram.
    public var segmentationOffload = true
    /// The name sent to the receiver, exactly as given.
    public var name: [UInt8]

    public init(mode: TransferMode = .selectiveRepeat, mss: Int = 1200, window: Int = 64,
                retransmission: RetransmissionTimer.Policy = .adaptive, maxRetries: Int = 10, name: [UInt8]) {
        self.mode = mode
        self.mss = mss
        self.window = window
        self.retransmission = retransmission
        self.maxRetries = maxRetries
        self.name = name
    }
}

/// Drives a `Sender` over a connected UDP socket: reads the file, moves datagrams, sleeps in
/// `poll` until the next datagram or deadline, and reports when the receiver confirmed the file.
public enum RUDPSendClient {
    /// Sends `file`; `progress` is called every `progressInterval` nanoseconds, even while
    /// nothing arrives, and once more at the end.
    public static func run(file: OutgoingFile, to address: SocketAddress, options: RUDPSendOptions,
                           interruptFileDescriptor: Int32?, isInterrupted: () -> String?,
                           observer: ProtocolEventObserver? = nil, progressInterval: UInt64 = 100_000_000,
                           progress: (SendProgress) -> Void) throws(SendFailure) -> SendReport {
        let socket: UDPSocket
        do {
            socket = try UDPSocket(connectedTo: address)
        } catch {
            throw SendFailure("cannot open a UDP socket to \(address): \(error)")
        }
        defer { socket.close() }
        _ = socket.setBufferSizes(send: 4 << 20, receive: 4 << 20)
        var loop = SendLoop(file: file, socket: socket, address: address, options: options,
                            progressInterval: progressInterval)
        loop.sender.observer = observer
        return try loop.run(interruptFileDescriptor: interruptFileDescriptor, isInterrupted: isInterrupted, progress: progress)
    }
}

/// The state of one running send.
private struct SendLoop {
    let file: OutgoingFile
    let socket: UDPSocket
    let address: SocketAddress
    let sender: Sender
    let startTime: UInt64
    let datagram = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
    /// What the sender has not taken yet of the last chunk read from the file.
    var chunk = UnsafeRawBufferPointer(start: nil, count: 0)
    var inputReadable = false
    /// Sleeps to the nanosecond when the controller paces: a pacing deadline is often less than
    /// a millisecond away, and poll's millisecond timeout would turn each into a whole one.
    var poller: Poller
    var busyPoll = BusyPoll()
    let batch: SegmentingSender
    /// Room for any datagram the sender can produce (the largest is a full DATA packet).
    let maxDatagramSize: Int
    var lastProgress: UInt64
    let progressInterval: UInt64
    /// Whether the receiver accepted the offer: a failure after it is no refusal.
    var wasAccepted = false

    init(file: OutgoingFile, socket: UDPSocket, address: SocketAddress, options: RUDPSendOptions,
         progressInterval: UInt64) {
        self.file = file
        self.socket = socket
        self.address = address
        startTime = MonotonicClock.now()
        lastProgress = startTime
        self.progressInterval = progressInterval
        var configuration = SenderConfiguration(
            mode: options.mode, mss: options.mss, window: options.window, retransmission: options.retransmission,
            maxRetries: options.maxRetries, connectionID: SystemRandom.uint32(), initialSequence: SystemRandom.uint32(),
            fileName: options.name, fileSize: file.size)
        configuration.congestionControl = options.congestionControl
        sender = Sender(configuration: configuration, now: startTime)
        poller = Poller(capacity: 3, precision: options.congestionControl.isPaced ? .nanoseconds : .milliseconds)
        batch = SegmentingSender(socket: socket, useOffload: options.segmentationOffload)
        maxDatagramSize = WireLayout.overhead + WireLayout.maxSackBlocks * WireLayout.sackBlockSize
            + max(configuration.effectiveMSS, SynPayload.maxNameLength + 32)
    }

    mutating func run(interruptFileDescriptor: Int32?, isInterrupted: () -> String?,
                      progress: (SendProgress) -> Void) throws(SendFailure) -> SendReport {
        defer { datagram.deallocate() }
        while true {
            var now = MonotonicClock.now()
            try feedSender()
            do {
                try transmit(now: now)
            } catch {
                // Once the FIN-ACK came, only the ACKs answering it were left to send: the file is
                // confirmed whatever becomes of them (the receiver may be gone: port unreachable).
                guard sender.state == .finished else { throw error }
            }
            switch sender.state {
            case .transferring, .closing:
                wasAccepted = true
            case .finished:
                let seconds = Double(now - startTime) / 1e9
                progress(currentProgress)
                var report = SendReport(protocolName: sender.configuration.mode.shortName, bytes: file.bytesRead,
                                        seconds: seconds, sha256: file.digest!, statistics: sender.statistics)
                let controlled = sender.configuration.congestionControl != .none
                func packets(_ bytes: Int) -> Int { (bytes + sender.mss - 1) / sender.mss }
                report.congestion = SendReport.Congestion(
                    algorithm: sender.configuration.congestionControl,
                    maxWindowPackets: controlled ? packets(sender.statistics.maxCongestionWindow) : nil,
                    finalWindowPackets: controlled ? packets(sender.congestion.window) : nil,
                    smoothedRTT: sender.timer.smoothedRTT, pacingRate: sender.congestion.pacingRate.map { $0 * 8 })
                return report
            case .failed(let error):
                throw SendFailure(describe(error))
            default:
                break
            }
            if now - lastProgress >= progressInterval {
                lastProgress = now
                progress(currentProgress)
            }

            poller.removeAll()
            let socketIndex = poller.add(socket.fileDescriptor, interest: .readable)
            let interruptIndex = interruptFileDescriptor.map { poller.add($0, interest: .readable) }
            let inputIndex = wantsInput && file.isStream ? poller.add(file.fileDescriptor, interest: .readable) : nil
            do {
                // Progress is due even while nothing arrives (a starved flow's progress too).
                let deadline = min(sender.nextDeadline ?? .max, lastProgress + progressInterval)
                _ = try poller.wait(until: deadline, spinningFor: busyPoll.spin(now: now),
                                    idleWork: file.performIdleWork)
            } catch {
                throw SendFailure("poll: \(error)")
            }
            now = MonotonicClock.now()
            if let interruptIndex, !poller.events(at: interruptIndex).isEmpty, let reason = isInterrupted() {
                sender.abort(code: .cancelled, message: "the sender was interrupted (\(reason))")
                try? transmit(now: now)
                throw SendFailure(reason)
            }
            if let inputIndex, !poller.events(at: inputIndex).isEmpty { inputReadable = true }
            if !poller.events(at: socketIndex).isEmpty { try receiveAll(now: now) }
            sender.handleTimeout(now: now)
        }
    }

    var currentProgress: SendProgress {
        var progress = SendProgress(bytesAcknowledged: sender.statistics.bytesAcknowledged, totalBytes: file.size,
                                    retransmissions: sender.statistics.retransmissions)
        progress.smoothedRTT = sender.timer.smoothedRTT
        progress.congestionControl = sender.configuration.congestionControl
        if sender.configuration.congestionControl != .none {
            progress.congestionWindow = (sender.congestion.window + sender.mss - 1) / sender.mss
        }
        return progress
    }

    /// Whether the sender could take more bytes than are already read.
    var wantsInput: Bool { chunk.isEmpty && !file.reachedEnd && sender.writableBytes > 0 }

    /// Moves file bytes into the sender's window while it has room.
    mutating func feedSender() throws(SendFailure) {
        while sender.writableBytes > 0 {
            if chunk.isEmpty {
                guard !file.reachedEnd else { return }
                if file.isStream && !inputReadable { return }
                inputReadable = false
                do { chunk = try file.read() } catch {
                    sender.abort(code: .senderIOError, message: "the sender could not read its file")
                    // The RST goes now: the receiver discards its partial file at once instead of
                    // waiting out its patience (as long as this sender said it would retry).
                    try? transmit(now: MonotonicClock.now())
                    throw SendFailure(error.description)
                }
                if chunk.isEmpty {
                    sender.finishWriting(sha256: file.digest!)
                    return
                }
            }
            chunk = UnsafeRawBufferPointer(rebasing: chunk[sender.write(chunk)...])
        }
    }

    /// Sends every datagram the sender has ready, in runs of equal-size datagrams (one system
    /// call per run where the kernel offers segmentation offload).
    mutating func transmit(now: UInt64) throws(SendFailure) {
        do {
            while true {
                let slot = try batch.reserve(capacity: maxDatagramSize)
                guard let length = sender.pollTransmit(into: slot, now: now) else { break }
                try batch.commit(length: length)
            }
            try batch.flush()
        } catch where error.isConnectionRefused {
            throw refused()
        } catch {
            throw SendFailure("cannot send to \(address): \(error)")
        }
    }

    /// Hands every datagram waiting on the socket to the sender.
    mutating func receiveAll(now: UInt64) throws(SendFailure) {
        let buffer = UnsafeMutableRawBufferPointer(rebasing: datagram[...])
        while true {
            let received: (count: Int, from: SocketAddress)?
            do {
                received = try socket.receive(into: buffer)
            } catch where error.isConnectionRefused {
                throw refused()
            } catch {
                throw SendFailure("cannot receive from \(address): \(error)")
            }
            guard let received else { return }
            busyPoll.noteActivity(now: now)
            sender.handle(datagram: UnsafeRawBufferPointer(rebasing: buffer[0..<received.count]), now: now)
        }
    }

    func refused() -> SendFailure {
        if sender.state == .connecting {
            return SendFailure("nothing is listening on UDP \(address) (connection refused): is rudp-recv running there?")
        }
        return SendFailure("the receiver at \(address) went away (port unreachable) before confirming the file")
    }

    func describe(_ error: TransferError) -> String {
        // The receiver's words are its own: escaped, so that they cannot drive the terminal.
        guard case .peerReset(let code, let message) = error else { return TerminalText.escaping(error.description) }
        let reason = TerminalText.escaping(message.hasPrefix("receiver: ") ? String(message.dropFirst(10)) : message)
        switch code {
        // A name that was free at the start and taken at the end is found only then: no refusal.
        case .fileExists where wasAccepted: return "receiver did not save the file: \(reason)"
        case .unsafeName, .fileExists, .busy: return "receiver refused the transfer: \(reason)"
        case .integrityFailure, .receiverIOError: return "receiver did not save the file: \(reason)"
        default: return "receiver stopped the transfer: \(reason)"
        }
    }
}
