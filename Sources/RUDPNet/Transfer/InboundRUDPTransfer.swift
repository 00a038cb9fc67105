import CLIKit
import RUDP
import SystemKit

/// One incoming RUDP transfer at the receiver, the file side of an endpoint connection: decides
/// on the offer (name policy, delivery mode), creates the temporary file once the endpoint has
/// validated the peer, streams delivered bytes into it, and commits it before the FIN is
/// confirmed. Address validation, amplification limits and quotas are the endpoint's.
final class InboundRUDPTransfer {
    let connection: InboundConnection
    /// The peer's socket address, for reports and for sending without conversion.
    let peer: SocketAddress
    private let endpoint: ReceiverEndpoint
    private let options: ReceiveOptions
    /// The validated file name while no file exists yet (it is created on validation).
    private var acceptedName: String?
    private(set) var file: IncomingFile?
    /// Set exactly once, when the transfer succeeds or fails.
    private(set) var report: ReceivedFileReport?
    let displayName: String

    /// Decides on the offer of a connection the endpoint just opened.
    init(offered connection: InboundConnection, peer: SocketAddress, endpoint: ReceiverEndpoint, options: ReceiveOptions,
         now: UInt64) {
        self.connection = connection
        self.peer = peer
        self.endpoint = endpoint
        self.options = options
        let offer = connection.receiver.offer
        displayName = FileNamePolicy.printable(offer.name)
        switch FileNamePolicy.validate(offer.name) {
        case .failure(let refusal):
            endpoint.fail(connection.handle, code: .unsafeName, message: refusal.message, now: now)
        case .success where offer.delivery == .unordered:
            // Packets handed over as they arrive would be written out of order: a file needs order.
            endpoint.fail(connection.handle, code: .protocolViolation,
                          message: "unordered delivery is for messages; a file is received in order", now: now)
        case .success(let name):
            // Whether the name is free is checked when the file is created (see startFile).
            acceptedName = name
            endpoint.accept(connection.handle, now: now)
        }
        settle(now: now)
    }

    var receiver: Receiver { connection.receiver }

    var protocolName: String { receiver.offer.mode.shortName }

    var bytesReceived: UInt64 { receiver.statistics.bytesDelivered }

    /// The endpoint validated the peer: creates the temporary file; false (and the transfer
    /// fails) if it cannot be created, or if the offer was refused already.
    @discardableResult
    func start(now: UInt64) -> Bool {
        guard let name = acceptedName, file == nil else { return false }
        acceptedName = nil
        do {
            file = try IncomingFile(directory: options.outputDirectory, name: name, overwrite: options.overwrite,
                                    uniqueToken: SystemRandom.uint64())
            return true
        } catch {
            endpoint.fail(connection.handle, code: error.kind == .exists ? .fileExists : .receiverIOError,
                          message: error.message, now: now)
            return false
        }
    }

    /// Consumes what one datagram of this connection delivered: its in-order payload, handed
    /// straight from the datagram, and whatever else the receiver has ready.
    func consume(inOrderPayload payload: UnsafeRawBufferPointer?, now: UInt64) {
        if let payload, let file {
            do {
                try file.write(payload)
            } catch {
                endpoint.fail(connection.handle, code: .receiverIOError, message: "receiver cannot write the file: \(error)",
                              now: now)
            }
        }
        settle(now: now)
    }

    /// Stops the transfer from this side (the receiver is shutting down).
    func abort(message: String, now: UInt64) {
        endpoint.fail(connection.handle, code: .cancelled, message: message, now: now)
        settle(now: now)
    }

    /// Writes what arrived, finishes or fails the file as the state machine says, and records
    /// the outcome once.
    func settle(now: UInt64) {
        // A closed connection takes no more decisions (its handle may name another one soon);
        // only its file and its report are left to settle.
        guard connection.isOpen else {
            if report == nil, case .failed(let error) = receiver.state {
                file?.discard()
                if connection.isAddressValidated || acceptedName == nil { finish(now: now, digest: nil, error: error.description) }
            } else if report == nil, file != nil {
                file?.discard()
                finish(now: now, digest: nil, error: "the connection ended before the transfer did")
            }
            return
        }
        // Checked first: after a direct delivery there is nothing to read, the usual case.
        if receiver.hasDeliverableData, let file {
            do {
                try receiver.readDelivered { bytes in try file.write(bytes) }
            } catch {
                endpoint.fail(connection.handle, code: .receiverIOError, message: "receiver cannot write the file: \(error)",
                              now: now)
            }
        }
        switch receiver.state {
        case .finishing(let fin):
            guard let file else { return }
            do {
                try file.commit(announcedSize: receiver.offer.fileSize, finalSize: fin.fileSize, expectedDigest: fin.sha256)
                endpoint.confirmFinish(connection.handle, now: now)
                finish(now: now, digest: fin.sha256, error: nil)
            } catch {
                let code: ResetCode = switch error.kind {
                case .integrity: .integrityFailure
                case .exists: .fileExists
                case .io: .receiverIOError
                }
                endpoint.fail(connection.handle, code: code, message: error.message, now: now)
                finish(now: now, digest: nil, error: error.message)
            }
        case .failed(let error):
            file?.discard()
            // A handshake that was accepted but never completed is no transfer worth a report
            // (a spoofed or replayed SYN); a refusal is the sender's answer and is reported.
            if connection.isAddressValidated || acceptedName == nil { finish(now: now, digest: nil, error: error.description) }
        default:
            break
        }
    }

    /// Reports a handshake that never completed as the transfer's failure (not reported
    /// otherwise: see settle), for a receiver that waits for this one transfer.
    func reportFailedHandshake(now: UInt64) {
        guard !connection.isOpen, !connection.isAddressValidated, case .failed(let error) = receiver.state else { return }
        finish(now: now, digest: nil, error: error.description)
    }

    private func finish(now: UInt64, digest: SHA256Digest?, error: String?) {
        guard report == nil else { return }
        report = ReceivedFileReport(name: displayName, bytes: receiver.statistics.bytesDelivered,
                                    seconds: Double(now - connection.startTime) / 1e9, protocolName: protocolName,
                                    sha256: digest, peer: peer.description,
                                    // A sender's reset carries its own words: escaped before any log shows them.
                                    error: error.map(TerminalText.escaping))
        report?.migrations = connection.migrations
    }
}
