import RUDP

/// One incoming RUDP transfer at the receiver: the `Receiver` state machine joined to the file
/// it fills. Decides on the offer (name policy, existing file), streams delivered bytes to the
/// temporary file, and commits it before the FIN is confirmed.
final class InboundRUDPTransfer {
    let receiver: Receiver
    let peer: SocketAddress
    let startTime: UInt64
    private(set) var file: IncomingFile?
    /// Set exactly once, when the transfer succeeds or fails.
    private(set) var report: ReceivedFileReport?
    private(set) var displayName: String

    init(receiver: Receiver, peer: SocketAddress, options: ReceiveOptions, now: UInt64) {
        self.receiver = receiver
        self.peer = peer
        startTime = now
        displayName = FileNamePolicy.printable(receiver.offer.name)
        switch FileNamePolicy.validate(receiver.offer.name) {
        case .failure(let refusal):
            receiver.fail(code: .unsafeName, message: refusal.message, now: now)
        case .success(let name):
            do {
                file = try IncomingFile(directory: options.outputDirectory, name: name, overwrite: options.overwrite,
                                        uniqueToken: SystemRandom.uint64())
                receiver.accept(now: now)
            } catch {
                receiver.fail(code: error.kind == .exists ? .fileExists : .receiverIOError, message: error.message, now: now)
            }
        }
        settle(now: now)
    }

    var protocolName: String { receiver.offer.mode.shortName }

    var bytesReceived: UInt64 { receiver.statistics.bytesDelivered }

    func handle(packet: PacketView, now: UInt64) {
        receiver.handle(packet: packet, now: now)
        settle(now: now)
    }

    func handleTimeout(now: UInt64) {
        receiver.handleTimeout(now: now)
        settle(now: now)
    }

    /// Stops the transfer from this side (the receiver is shutting down).
    func abort(message: String, now: UInt64) {
        receiver.fail(code: .cancelled, message: message, now: now)
        settle(now: now)
    }

    /// Writes what arrived, finishes or fails the file as the state machine says, and records
    /// the outcome once.
    private func settle(now: UInt64) {
        if let file {
            do {
                try receiver.readDelivered { bytes in try file.write(bytes) }
            } catch {
                receiver.fail(code: .receiverIOError, message: "receiver cannot write the file: \(error)", now: now)
            }
        }
        switch receiver.state {
        case .finishing(let fin):
            guard let file else { return }
            do {
                try file.commit(expectedSize: fin.fileSize, expectedDigest: fin.sha256)
                receiver.confirmFinish(now: now)
                finish(now: now, digest: fin.sha256, error: nil)
            } catch {
                let code: ResetCode = switch error.kind {
                case .integrity: .integrityFailure
                case .exists: .fileExists
                case .io: .receiverIOError
                }
                receiver.fail(code: code, message: error.message, now: now)
                finish(now: now, digest: nil, error: error.message)
            }
        case .failed(let error):
            file?.discard()
            finish(now: now, digest: nil, error: error.description)
        default:
            break
        }
    }

    private func finish(now: UInt64, digest: SHA256Digest?, error: String?) {
        guard report == nil else { return }
        report = ReceivedFileReport(name: displayName, bytes: receiver.statistics.bytesDelivered,
                                    seconds: Double(now - startTime) / 1e9, protocolName: protocolName,
                                    sha256: digest, peer: peer.description, error: error)
    }
}
