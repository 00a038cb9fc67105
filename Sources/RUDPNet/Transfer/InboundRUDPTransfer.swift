import RUDP
import SystemKit

/// One incoming RUDP transfer at the receiver: the `Receiver` state machine joined to the file
/// it fills. Decides on the offer (name policy, existing file), streams delivered bytes to the
/// temporary file, and commits it before the FIN is confirmed.
///
/// Until its peer proves it receives our packets (address validation, as QUIC does it), a
/// connection is half-open: it sends that address at most three times the bytes it received
/// from it, it takes no DATA or FIN, and it has no file. The proof is a DATA or FIN echoing the
/// timestamp of a packet we sent; the receiver's clock on this connection is offset by a random
/// amount, so that timestamp cannot be guessed by someone who does not see our packets, nor
/// replayed from an earlier connection.
final class InboundRUDPTransfer {
    /// An unvalidated address is sent at most this many times the bytes received from it.
    static let amplificationFactor = 3
    /// Timestamps of our packets remembered for the proof (SYN-ACKs resent after lost ones).
    static let rememberedTimestamps = 8

    let receiver: Receiver
    let peer: SocketAddress
    let startTime: UInt64
    /// Added to the server's clock for this connection's state machine (a multiple of 1 µs).
    let clockOffset: UInt64
    /// Reassembly memory granted to this connection (window × MSS).
    let reservedBytes: Int
    private let options: ReceiveOptions
    /// The validated file name while no file exists yet (it is created on validation).
    private var acceptedName: String?
    private(set) var file: IncomingFile?
    /// Set exactly once, when the transfer succeeds or fails.
    private(set) var report: ReceivedFileReport?
    private(set) var displayName: String
    private(set) var isAddressValidated = false
    /// When the last packet of this connection arrived (server clock).
    private(set) var lastHeard: UInt64
    private var datagramBytesReceived = 0
    private var datagramBytesSent = 0
    /// The acknowledgement of the FIN-ACK sent, once the file is confirmed.
    private(set) var confirmedAcknowledgement: SequenceNumber?
    private var sentTimestamps: [UInt32] = []

    /// Starts a connection from a SYN; throws when the SYN is malformed.
    init(syn: PacketView, datagramLength: Int, peer: SocketAddress, options: ReceiveOptions,
         configuration: ReceiverConfiguration, clockOffset: UInt64, observer: ProtocolEventObserver?,
         now: UInt64) throws(TransferError) {
        self.clockOffset = clockOffset
        receiver = try Receiver(syn: syn, configuration: configuration, now: now + clockOffset)
        if let observer {
            receiver.observer = { [clockOffset] time, event in observer(time - clockOffset, event) }
        }
        self.peer = peer
        self.options = options
        startTime = now
        lastHeard = now
        datagramBytesReceived = datagramLength
        reservedBytes = receiver.window * receiver.mss
        displayName = FileNamePolicy.printable(receiver.offer.name)
        switch FileNamePolicy.validate(receiver.offer.name) {
        case .failure(let refusal):
            receiver.fail(code: .unsafeName, message: refusal.message, now: now + clockOffset)
        case .success where receiver.offer.delivery == .unordered:
            // Packets handed over as they arrive would be written out of order: a file needs order.
            receiver.fail(code: .protocolViolation, message: "unordered delivery is for messages; a file is received in order",
                          now: now + clockOffset)
        case .success(let name):
            // Whether the name is free is checked when the file is created (see startFile).
            acceptedName = name
            receiver.accept(now: now + clockOffset)
        }
        settle(now: now)
    }

    var protocolName: String { receiver.offer.mode.shortName }

    var bytesReceived: UInt64 { receiver.statistics.bytesDelivered }

    /// When `handleTimeout` is due, on the server's clock.
    var nextDeadline: UInt64? { receiver.nextDeadline.map { $0 - clockOffset } }

    /// Handles one packet of this connection; returns true when it proved the peer's address and
    /// the transfer started (its file was created). At that moment `admit` is asked whether the
    /// server has room for one more established transfer; if not, the sender is told it is busy.
    @discardableResult
    func handle(packet: PacketView, datagramLength: Int, now: UInt64, admit: () -> Bool) -> Bool {
        datagramBytesReceived += datagramLength
        lastHeard = now
        var started = false
        if !isAddressValidated, packet.header.type == .data || packet.header.type == .fin {
            guard sentTimestamps.contains(packet.header.timestampEcho) else { return false }  // blind, spoofed or replayed
            if case .established = receiver.state {
                if admit() {
                    isAddressValidated = true
                    started = startFile(now: now)
                } else {
                    receiver.fail(code: .busy, message: "the receiver is busy (too many transfers, or no buffer memory left); try again later",
                                  now: now + clockOffset)
                }
            }
        }
        if let file {
            // In-order payloads go straight from the datagram to the file.
            if let payload = receiver.handleDeliveringInOrder(packet: packet, now: now + clockOffset) {
                do {
                    try file.write(payload)
                } catch {
                    receiver.fail(code: .receiverIOError, message: "receiver cannot write the file: \(error)", now: now + clockOffset)
                }
            }
        } else {
            receiver.handle(packet: packet, now: now + clockOffset)
        }
        settle(now: now)
        return started
    }

    func handleTimeout(now: UInt64) {
        receiver.handleTimeout(now: now + clockOffset)
        settle(now: now)
    }

    /// Stops the transfer from this side (the receiver is shutting down).
    func abort(message: String, now: UInt64) {
        receiver.fail(code: .cancelled, message: message, now: now + clockOffset)
        settle(now: now)
    }

    /// Sends every datagram the state machine has for the peer, within the amplification limit
    /// while the address is unvalidated (a reply over it is dropped, as a lossy link would).
    func transmit(into buffer: UnsafeMutableRawBufferPointer, now: UInt64, send: (UnsafeRawBufferPointer) -> Void) {
        while let length = receiver.pollTransmit(into: buffer, now: now + clockOffset) {
            var datagram = UnsafeRawBufferPointer(rebasing: buffer[0..<length])
            if !isAddressValidated {
                let allowance = Self.amplificationFactor * datagramBytesReceived - datagramBytesSent
                if length > allowance {
                    // An RST still fits when its message is cut; anything else waits for more from the peer.
                    guard let shorter = Self.shortenedReset(datagram, to: allowance, into: buffer) else { continue }
                    datagram = shorter
                }
                remember(timestamp: UInt32(bigEndian: datagram.loadUnaligned(fromByteOffset: WireLayout.timestampOffset,
                                                                              as: UInt32.self)))
            }
            if datagram[WireLayout.typeOffset] == PacketType.finAck.rawValue {
                confirmedAcknowledgement = SequenceNumber(UInt32(bigEndian: datagram.loadUnaligned(
                    fromByteOffset: WireLayout.acknowledgementOffset, as: UInt32.self)))
            }
            datagramBytesSent += datagram.count
            send(datagram)
        }
    }

    private func remember(timestamp: UInt32) {
        if sentTimestamps.count == Self.rememberedTimestamps { sentTimestamps.removeFirst() }
        sentTimestamps.append(timestamp)
    }

    /// `datagram` re-encoded into `buffer` with its RST message cut to fit `limit` bytes; nil if it
    /// is not an RST or not even an empty message fits.
    static func shortenedReset(_ datagram: UnsafeRawBufferPointer, to limit: Int,
                               into buffer: UnsafeMutableRawBufferPointer) -> UnsafeRawBufferPointer? {
        guard let packet = try? PacketView.decode(datagram), packet.header.type == .reset,
              let reset = try? ResetPayload(decoding: packet.payload) else { return nil }
        return encodeReset(packet.header, code: reset.code, message: reset.message, limit: limit, into: buffer)
    }

    /// Encodes an RST whose message is cut (at a character boundary) so the datagram fits `limit`.
    static func encodeReset(_ header: PacketHeader, code: ResetCode, message: String, limit: Int,
                            into buffer: UnsafeMutableRawBufferPointer) -> UnsafeRawBufferPointer? {
        let empty = PacketEncoder.size(sackCount: 0, payloadLength: 2)
        guard limit >= empty else { return nil }
        var text = Substring(message)
        while text.utf8.count > limit - empty { text = text.dropLast() }
        let payload = ResetPayload(code: code, message: String(text)).encoded()
        let length = payload.withUnsafeBytes { try? PacketEncoder.encode(header, payload: $0, into: buffer) }
        return length.map { UnsafeRawBufferPointer(rebasing: buffer[0..<$0]) }
    }

    /// Creates the temporary file once the peer is known to be real; false (and the transfer
    /// fails) if it cannot be created, or if the offer was refused already.
    private func startFile(now: UInt64) -> Bool {
        guard let name = acceptedName, file == nil else { return false }
        acceptedName = nil
        do {
            file = try IncomingFile(directory: options.outputDirectory, name: name, overwrite: options.overwrite,
                                    uniqueToken: SystemRandom.uint64())
            return true
        } catch {
            receiver.fail(code: error.kind == .exists ? .fileExists : .receiverIOError, message: error.message,
                          now: now + clockOffset)
            return false
        }
    }

    /// Writes what arrived, finishes or fails the file as the state machine says, and records
    /// the outcome once.
    private func settle(now: UInt64) {
        // Checked first: after a direct delivery there is nothing to read, the usual case.
        if receiver.hasDeliverableData, let file {
            do {
                try receiver.readDelivered { bytes in try file.write(bytes) }
            } catch {
                receiver.fail(code: .receiverIOError, message: "receiver cannot write the file: \(error)", now: now + clockOffset)
            }
        }
        switch receiver.state {
        case .finishing(let fin):
            guard let file else { return }
            do {
                try file.commit(expectedSize: fin.fileSize, expectedDigest: fin.sha256)
                receiver.confirmFinish(now: now + clockOffset)
                finish(now: now, digest: fin.sha256, error: nil)
            } catch {
                let code: ResetCode = switch error.kind {
                case .integrity: .integrityFailure
                case .exists: .fileExists
                case .io: .receiverIOError
                }
                receiver.fail(code: code, message: error.message, now: now + clockOffset)
                finish(now: now, digest: nil, error: error.message)
            }
        case .failed(let error):
            file?.discard()
            // A handshake that was accepted but never completed is no transfer worth a report
            // (a spoofed or replayed SYN); a refusal is the sender's answer and is reported.
            if isAddressValidated || acceptedName == nil { finish(now: now, digest: nil, error: error.description) }
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
