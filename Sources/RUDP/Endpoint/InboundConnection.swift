/// One connection of a `ReceiverEndpoint`: the `Receiver` state machine and what the endpoint
/// knows of its peer.
///
/// Until the peer proves it receives our packets (address validation, as QUIC does it), the
/// connection is half-open: it sends that address at most `amplificationFactor` times the bytes
/// it received from it and takes no DATA or FIN. The proof is a DATA or FIN echoing the timestamp
/// of a packet we sent; the receiver's clock on this connection is offset by a random amount, so
/// that timestamp cannot be guessed by someone who does not see our packets, nor replayed from
/// an earlier connection.
///
/// Drivers read it (offer, state, statistics, delivered bytes); they change it only through the
/// endpoint (`accept`, `fail`, `confirmFinish`), which keeps its clock offset and output straight.
public final class InboundConnection {
    public let handle: ConnectionHandle
    /// The peer's address and the connection ID; the address changes when the peer moves to a
    /// new one and proves it (path validation).
    public internal(set) var key: ConnectionKey
    public let receiver: Receiver
    /// When the SYN arrived, on the endpoint's clock.
    public let startTime: UInt64
    public private(set) var isAddressValidated = false
    /// What became of the SYN's address-validation token. `.accepted` proves the address for
    /// the anti-amplification limit (not yet for data, which still waits for the echo).
    public internal(set) var addressToken: AddressTokenVerdict = .notPresented
    public var isAddressProvedByToken: Bool { addressToken == .accepted }
    /// False once the endpoint reported it `.closed`: it sends nothing more.
    public internal(set) var isOpen = true
    /// Added to the endpoint's clock for this connection's state machine (a multiple of 1 µs).
    let clockOffset: UInt64
    /// Reassembly memory granted to this connection (window × MSS).
    let reservedBytes: Int
    /// When the last datagram of this connection arrived (endpoint clock).
    private(set) var lastHeard: UInt64
    /// How long this connection may stay half-open with nothing from its peer (set by the
    /// endpoint when it opens it; see ReceiverEndpoint.handshakeLifetime).
    var handshakeLifetime: UInt64 = 0
    private var datagramBytesReceived = 0
    private var datagramBytesSent = 0
    /// The acknowledgement of the FIN-ACK sent, once the transfer is confirmed.
    private(set) var confirmedAcknowledgement: SequenceNumber?
    /// Timestamps of our packets to an unvalidated peer, remembered for the proof (SYN-ACKs are
    /// resent after lost ones).
    private var sentTimestamps: [UInt32] = []
    /// New addresses the peer's packets came from, being validated.
    var pathValidation = PathValidation()
    /// The new address the peer's latest packet came from, while it is being validated; nil
    /// once a packet comes from the connection's own address again. What the connection sends
    /// is copied there: a NAT that rebound the peer no longer delivers to its old address, and
    /// without the copies its acknowledgements would stop for the round trip the proof takes
    /// (RFC 9000 §9.3 moves to such an address at once; copying keeps a spoofer from taking
    /// the acknowledgements away from the real peer).
    var latestUnvalidatedAddress: PeerAddress?
    /// Times the connection moved to a new, validated address of its peer.
    public internal(set) var migrations = 0
    /// PATH-CHALLENGEs sent to new addresses of the peer.
    public internal(set) var pathChallengesSent = 0
    /// Whether the endpoint's transmit queue holds this connection.
    var isQueuedForTransmit = false

    init(handle: ConnectionHandle, key: ConnectionKey, syn: PacketView, datagramLength: Int,
         configuration: ReceiverConfiguration, clockOffset: UInt64, now: UInt64) throws(TransferError) {
        self.handle = handle
        self.key = key
        self.clockOffset = clockOffset
        receiver = try Receiver(syn: syn, configuration: configuration, now: now &+ clockOffset)
        startTime = now
        lastHeard = now
        datagramBytesReceived = datagramLength
        reservedBytes = receiver.window * receiver.mss
    }

    public var peer: PeerAddress { key.peer }

    /// Whether the peer announced that it answers path challenges, so that the connection may
    /// follow it to a new address.
    public var isMigratable: Bool { receiver.offer.answersPathChallenges }

    /// Whether a packet from an address that is not the connection's may be the peer's, moved:
    /// its sequence number is plausible now, and before the handshake completed, it also echoes
    /// a timestamp we sent (which only a sender that saw our SYN-ACK knows).
    func mayComeFromMovedPeer(_ packet: PacketView) -> Bool {
        guard isMigratable, isOpen else { return false }
        switch packet.header.type {
        case .data, .fin:
            return isAddressValidated ? receiver.isPlausible(packet.header.sequence)
                                      : sentTimestamps.contains(packet.header.timestampEcho)
        case .ack:
            return isAddressValidated && receiver.isPlausible(packet.header.sequence)
        default:
            return false
        }
    }

    /// Writes the next PATH-CHALLENGE due to a new address of the peer into `buffer`.
    func pollPathChallenge(into buffer: UnsafeMutableRawBufferPointer, amplificationFactor: Int,
                           now: UInt64) -> EndpointTransmit? {
        guard pathValidation.hasChallengeDue,
              let (address, challenge) = pathValidation.pollChallenge(amplificationFactor: amplificationFactor, now: now)
        else { return nil }
        let header = PacketHeader(type: .pathChallenge, connectionID: key.connectionID,
                                  timestamp: WireClock.timestamp(now &+ clockOffset))
        let payload = PathPayload(data: challenge).encoded()
        guard let length = payload.withUnsafeBytes({ try? PacketEncoder.encode(header, payload: $0, into: buffer) }) else {
            return nil
        }
        pathChallengesSent += 1
        return EndpointTransmit(length: length, destination: address)
    }

    /// The peer proved it receives at the candidate's address: the connection's packets go there
    /// from now on, and what was exchanged there so far counts (a half-open connection is still
    /// held to the amplification limit).
    func move(to candidate: PathValidation.Candidate) {
        key = ConnectionKey(peer: candidate.address, connectionID: key.connectionID)
        migrations += 1
        latestUnvalidatedAddress = nil
        datagramBytesReceived = candidate.bytesReceived
        datagramBytesSent = candidate.bytesSent
        if isAddressValidated { receiver.repeatLatestAnswer() }
    }

    /// When the endpoint must handle this connection's timeout, on the endpoint's clock.
    var nextDeadline: UInt64? { receiver.nextDeadline.map { $0 &- clockOffset } }

    /// Sets the receiver's event observer (tracing), with event times on the endpoint's clock.
    public func observe(_ observer: ProtocolEventObserver?) {
        receiver.observer = observer.map { observer in { [clockOffset] time, event in observer(time &- clockOffset, event) } }
    }

    /// Counts a datagram of this connection; false when it is a DATA or FIN whose echo proves
    /// nothing (blind, spoofed or replayed) and must be ignored.
    func noteArrival(_ packet: PacketView, datagramLength: Int, now: UInt64) -> Bool {
        datagramBytesReceived += datagramLength
        lastHeard = now
        guard !isAddressValidated, packet.header.type == .data || packet.header.type == .fin else { return true }
        return sentTimestamps.contains(packet.header.timestampEcho)
    }

    /// Whether a validating packet found the receiver ready to take data (it accepted the offer).
    var isReadyToValidate: Bool {
        guard !isAddressValidated, case .established = receiver.state else { return false }
        return true
    }

    /// The peer proved its address: its first flight is replayed to the receiver. Returns the
    /// bytes of first flight the connection no longer holds.
    func markValidated(now: UInt64) -> Int {
        isAddressValidated = true
        return receiver.replayFirstFlight(now: now &+ clockOffset)
    }

    /// Holds a DATA packet of the peer's first flight (sent behind its SYN, so echoing nothing)
    /// until the peer proves its address, within `room` bytes; the bytes now held more.
    func holdFirstFlight(_ packet: PacketView, datagram: UnsafeRawBufferPointer, room: Int, now: UInt64) -> Int {
        guard !isAddressValidated, packet.header.type == .data, packet.header.timestampEcho == 0 else { return 0 }
        return receiver.holdFirstFlight(packet, datagram: datagram, room: room, now: now &+ clockOffset)
    }

    func handle(_ packet: PacketView, deliveringInOrder: Bool, now: UInt64) -> UnsafeRawBufferPointer? {
        if deliveringInOrder { return receiver.handleDeliveringInOrder(packet: packet, now: now &+ clockOffset) }
        receiver.handle(packet: packet, now: now &+ clockOffset)
        return nil
    }

    func handleTimeout(now: UInt64) { receiver.handleTimeout(now: now &+ clockOffset) }
    /// The SYN's early data (0-RTT), for the application to answer at once. *Replayable*: anyone
    /// who recorded the SYN can send it again, so act on it only where twice is harmless.
    public var earlyData: [UInt8]? { receiver.offer.earlyData }

    /// Accepts the offer with an answer to its early data: in the SYN-ACK if that fits what the
    /// peer's address may be sent (three times what it sent, unless a token proved it), else in
    /// the FIN-ACK, once the peer proved its address by its FIN.
    func accept(now: UInt64, response: [UInt8]?, addressToken: [UInt8]?, amplificationFactor: Int) {
        var waits = false
        if let response, !isAddressProvedByToken, receiver.offer.earlyData != nil {
            var answer = SynAckPayload(mss: receiver.mss, window: UInt32(receiver.window))
            answer.tookEarlyData = true
            answer.response = Array(response.prefix(receiver.mss))
            if receiver.offer.addressToken != nil { answer.addressToken = addressToken }
            let synAck = PacketEncoder.size(sackCount: 0, payloadLength: answer.encoded().count)
            waits = synAck > amplificationFactor * datagramBytesReceived - datagramBytesSent
        }
        receiver.accept(now: now &+ clockOffset, response: response, responseWaitsForFin: waits, addressToken: addressToken)
    }
    func fail(code: ResetCode, message: String, now: UInt64) { receiver.fail(code: code, message: message, now: now &+ clockOffset) }
    func confirmFinish(now: UInt64) { receiver.confirmFinish(now: now &+ clockOffset) }

    /// The next datagram for the peer, within the amplification limit while its address is
    /// unvalidated (a reply over it is dropped, as a lossy link would, except that an RST is cut
    /// to fit); nil when there is none.
    func pollTransmit(into buffer: UnsafeMutableRawBufferPointer, amplificationFactor: Int, now: UInt64) -> Int? {
        while let produced = receiver.pollTransmit(into: buffer, now: now &+ clockOffset) {
            var length = produced
            if !isAddressValidated && !isAddressProvedByToken {
                let allowance = amplificationFactor * datagramBytesReceived - datagramBytesSent
                if length > allowance {
                    guard let shorter = StatelessReply.shortenReset(in: buffer, length: length, to: allowance) else { continue }
                    length = shorter
                }
            }
            if !isAddressValidated {
                remember(timestamp: UInt32(bigEndian: UnsafeRawBufferPointer(buffer).loadUnaligned(
                    fromByteOffset: WireLayout.timestampOffset, as: UInt32.self)))
            }
            if buffer[WireLayout.typeOffset] == PacketType.finAck.rawValue {
                confirmedAcknowledgement = SequenceNumber(UInt32(bigEndian: UnsafeRawBufferPointer(buffer).loadUnaligned(
                    fromByteOffset: WireLayout.acknowledgementOffset, as: UInt32.self)))
            }
            datagramBytesSent += length
            return length
        }
        return nil
    }

    /// Enough for the SYN-ACKs and the ACKs of a whole first flight (`firstFlightPackets`):
    /// the sender may echo any of them.
    private static let rememberedTimestamps = 32

    private func remember(timestamp: UInt32) {
        guard sentTimestamps.last != timestamp else { return }
        if sentTimestamps.count == Self.rememberedTimestamps { sentTimestamps.removeFirst() }
        sentTimestamps.append(timestamp)
    }
}

/// What demultiplexes datagrams to a connection: the peer's address and the connection ID its SYN chose.
public struct ConnectionKey: Hashable, Sendable {
    public let peer: PeerAddress
    public let connectionID: UInt32

    public init(peer: PeerAddress, connectionID: UInt32) {
        self.peer = peer
        self.connectionID = connectionID
    }
}
