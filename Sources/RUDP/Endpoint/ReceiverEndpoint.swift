/// The receiving side of many transfers on one socket, sans-IO: bytes and time in, datagrams
/// and deadlines out, as quinn-proto's `Endpoint` beside its `Connection`.
///
/// It demultiplexes datagrams to connections by peer address and connection ID, validates each
/// peer's address by an echoed timestamp before it takes data, holds unvalidated addresses to
/// the anti-amplification limit, bounds the half-open and established connections and their
/// memory (see ConnectionTable), remembers confirmed transfers to confirm late FINs again, and
/// answers packets of no live connection. For 0-RTT it offers a SYN's early data at once (as
/// replayable), places the application's answer in the SYN-ACK or, over the limit, the FIN-ACK,
/// and mints and checks address-validation tokens (AddressTokens). What a connection's data means (a file, messages) is
/// the driver's: it learns of each connection's life through `pollEvent`, reads delivered bytes
/// from the connection's `receiver`, and decides with `accept`, `fail` and `confirmFinish`.
///
/// Driving it: after each received datagram call `handle`, then drain `pollEvent`; after a
/// batch, drain `pollTransmit`; sleep until `nextDeadline` and then call `handleTimeout`.
public final class ReceiverEndpoint {
    public let configuration: ReceiverEndpointConfiguration
    private var table: ConnectionTable
    private var completed: CompletedTransfers
    /// Bytes of first-flight DATA the half-open connections hold together.
    private var firstFlightHeld = 0
    /// Connections by handle index; nil where free.
    private var slots: [InboundConnection?] = []
    private var freeSlots: [Int] = []
    private var events = RingQueue<EndpointEvent>(capacity: 16)
    private var transmitQueue = RingQueue<InboundConnection>(capacity: 64)
    private var replies = RingQueue<StatelessReply>(capacity: 16)
    /// A copy of the datagram just sent, for the new address its connection's peer is being
    /// validated at (see InboundConnection.latestUnvalidatedAddress); it goes out next.
    private var pendingCopy: (bytes: [UInt8], destination: PeerAddress)?
    private var addressTokens: AddressTokens
    private let random: () -> UInt64

    /// `random` supplies every unpredictable value (initial sequence numbers, clock offsets):
    /// the system's random source in a real receiver, a seeded one in a simulation.
    public init(configuration: ReceiverEndpointConfiguration, random: @escaping () -> UInt64) {
        self.configuration = configuration
        self.random = random
        table = ConnectionTable(capacity: configuration.maxConnections, halfOpenCapacity: configuration.maxHalfOpenConnections,
                                memoryBudget: configuration.memoryBudget,
                                hostShare: HostShare(maxConnections: configuration.maxConnectionsPerHost,
                                                     maxBytes: Int(Double(configuration.memoryBudget) * configuration.hostMemoryShare)))
        completed = CompletedTransfers(capacity: configuration.completedTransfersRemembered,
                                       horizon: configuration.completedTransferHorizon)
        // The tokens' key: 256 random bits, never leaving the endpoint.
        let secret = (0..<4).flatMap { _ in withUnsafeBytes(of: random()) { Array($0) } }
        addressTokens = AddressTokens(secret: secret, lifetime: configuration.addressTokenLifetime,
                                      capacity: configuration.addressTokensRemembered)
    }

    /// Whether no connection is open (half-open ones included).
    public var isEmpty: Bool { table.isEmpty }

    /// When set, every SYN of a new transfer is refused (RST busy) with this message: a
    /// `--once` receiver that has had its transfer and only lingers for its FIN must not take
    /// a second one that its exit would cut off. Transfers already known go on.
    public var refusesNewTransfers: String?

    /// The open connections, in no particular order.
    public var connections: Dictionary<ConnectionKey, InboundConnection>.Values { table.transfers }

    /// Established connections (those whose peer proved its address).
    public var establishedCount: Int { table.establishedCount }

    /// The connection `handle` names; it must be open (not yet reported `.closed`).
    public func connection(_ handle: ConnectionHandle) -> InboundConnection {
        slots[handle.index]!
    }

    // MARK: Input

    /// Handles one datagram from `peer`. Malformed ones are ignored, as if lost.
    public func handle(datagram: UnsafeRawBufferPointer, from peer: PeerAddress, now: UInt64) -> DatagramOutcome {
        guard let packet = try? PacketView.decode(datagram) else { return .none }
        let key = ConnectionKey(peer: peer, connectionID: packet.header.connectionID)
        if let connection = table.lookup(key) {
            // The peer is (still, or again) at the connection's address: its copies stop.
            connection.latestUnvalidatedAddress = nil
            return handle(packet, datagram: datagram, on: connection, now: now)
        }
        if let outcome = handleFromNewAddress(packet, datagram: datagram, from: peer, now: now) { return outcome }
        switch packet.header.type {
        case .syn:
            open(packet, datagramLength: datagram.count, key: key, now: now)
        case .reset, .pathChallenge, .pathResponse:
            break  // never answer an RST (two endpoints would answer each other forever), nor a stray path packet
        case .data where packet.header.timestampEcho == 0:
            break  // a first flight that overtook its SYN, or lost it: the SYN is what counts
        default:
            if let acknowledgement = completed.acknowledgement(for: key, now: now) {
                confirmAgain(packet.header, acknowledgement: acknowledgement, peer: peer)
            } else {
                queue(.reset(to: peer, connectionID: key.connectionID, code: .unknownConnection,
                             message: "the receiver has no such transfer (it restarted, or gave up on it)",
                             limit: configuration.amplificationFactor * datagram.count))
            }
        }
        return .none
    }

    private func handle(_ packet: PacketView, datagram: UnsafeRawBufferPointer, on connection: InboundConnection,
                        now: UInt64) -> DatagramOutcome {
        queueForTransmit(connection)
        guard connection.noteArrival(packet, datagramLength: datagram.count, now: now) else {
            firstFlightHeld += connection.holdFirstFlight(packet, datagram: datagram,
                                                          room: configuration.firstFlightBudget - firstFlightHeld, now: now)
            return DatagramOutcome(connection: connection.handle, inOrderPayload: nil)
        }
        if connection.isReadyToValidate, packet.header.type == .data || packet.header.type == .fin {
            switch table.admit(connection.key) {
            case nil:
                firstFlightHeld -= connection.markValidated(now: now)
                events.append(.validated(connection))
            case .full:
                connection.fail(code: .busy,
                                message: "the receiver is busy (too many transfers, or no buffer memory left); try again later",
                                now: now)
            case .hostShare:
                connection.fail(code: .busy, message: hostShareMessage, now: now)
            }
        }
        // Data waits for the peer's proof: until then the receiver only repeats its handshake.
        let direct = configuration.deliversInOrderDirectly && connection.isAddressValidated
        let payload = connection.handle(packet, deliveringInOrder: direct, now: now)
        return DatagramOutcome(connection: connection.handle, inOrderPayload: payload)
    }

    /// A packet of a known connection from an address that is not the connection's: the peer
    /// moved (a NAT rebinding), or someone spoofs it. A plausible packet starts the validation of
    /// that address (a challenge goes there; the connection's own packets keep going to its
    /// address, and copies of them to the new one while the peer's packets come from there)
    /// and, on an established connection, is taken as the peer's; the echo of the
    /// challenge moves the connection there. Nil when no migratable connection has the ID: the
    /// packet is then one of no connection.
    private func handleFromNewAddress(_ packet: PacketView, datagram: UnsafeRawBufferPointer, from peer: PeerAddress,
                                      now: UInt64) -> DatagramOutcome? {
        let header = packet.header
        guard header.type != .syn, header.type != .reset else { return nil }
        let candidates = table.connections(withID: header.connectionID).filter(\.isMigratable)
        guard !candidates.isEmpty else { return nil }
        if header.type == .pathResponse {
            guard let response = try? PathPayload(decoding: packet.payload) else { return DatagramOutcome.none }
            for connection in candidates {
                guard let validated = connection.pathValidation.complete(response, from: peer, length: datagram.count),
                      table.move(connection.key, to: peer) != nil else { continue }
                connection.move(to: validated)
                queueForTransmit(connection)
                return DatagramOutcome(connection: connection.handle, inOrderPayload: nil)
            }
            return DatagramOutcome.none
        }
        // Anything else that names a live connection but fits none is dropped unanswered (an RST
        // to the new address would end the transfer of a peer that merely moved), unless it is
        // the late FIN of a transfer confirmed and forgotten: a stale handshake of the same
        // sender, left from before it moved, must not hide that transfer's confirmation.
        guard let connection = candidates.first(where: { $0.mayComeFromMovedPeer(packet) }) else {
            let key = ConnectionKey(peer: peer, connectionID: header.connectionID)
            if let acknowledgement = completed.acknowledgement(for: key, now: now) {
                confirmAgain(header, acknowledgement: acknowledgement, peer: peer)
            }
            return DatagramOutcome.none
        }
        connection.pathValidation.noteArrival(from: peer, length: datagram.count, interval: configuration.pathChallengeInterval,
                                              now: now, random: random)
        connection.latestUnvalidatedAddress = peer
        queueForTransmit(connection)
        // Before the handshake completed nothing is taken from an address not yet proved.
        guard connection.isAddressValidated else { return DatagramOutcome(connection: connection.handle, inOrderPayload: nil) }
        return handle(packet, datagram: datagram, on: connection, now: now)
    }

    private var hostShareMessage: String {
        "the receiver is busy with other transfers from this address (at most \(configuration.maxConnectionsPerHost), "
            + "\(Int(configuration.hostMemoryShare * 100))% of its memory); try again later"
    }

    private func open(_ syn: PacketView, datagramLength: Int, key: ConnectionKey, now: UInt64) {
        let limit = configuration.amplificationFactor * datagramLength
        if let refusal = refusesNewTransfers {
            queue(.reset(to: key.peer, connectionID: key.connectionID, code: .busy, message: refusal, limit: limit))
            return
        }
        guard table.establishedCount < configuration.maxConnections else {
            queue(.reset(to: key.peer, connectionID: key.connectionID, code: .busy,
                         message: "the receiver is busy (\(configuration.maxConnections) transfers in progress); try again later",
                         limit: limit))
            return
        }
        guard table.hosts.hasRoom(for: key.peer) && table.hosts.availableBytes(for: key.peer) > 0 else {
            queue(.reset(to: key.peer, connectionID: key.connectionID, code: .busy, message: hostShareMessage, limit: limit))
            return
        }
        var receiverConfiguration = configuration.receiver
        receiverConfiguration.initialSequence = UInt32(truncatingIfNeeded: random())
        // The grant is what memory is left now, of the whole budget and of the host's share; the
        // connection is admitted only if it still fits once its peer completes the handshake.
        receiverConfiguration.maxBufferBytes = min(receiverConfiguration.maxBufferBytes, table.availableBytes(for: key.peer))
        let handle = ConnectionHandle(freeSlots.popLast() ?? slots.count)
        let connection: InboundConnection
        do {
            // A random offset of up to 2^32 µs makes this connection's timestamps unpredictable.
            connection = try InboundConnection(handle: handle, key: key, syn: syn, datagramLength: datagramLength,
                                               configuration: receiverConfiguration,
                                               clockOffset: (random() & 0xffff_ffff) * 1_000, now: now)
        } catch {
            if handle.index < slots.count { freeSlots.append(handle.index) }
            queue(.reset(to: key.peer, connectionID: key.connectionID, code: .protocolViolation, message: error.description,
                         limit: limit))
            return
        }
        if let token = connection.receiver.offer.addressToken, !token.isEmpty {
            connection.addressToken = addressTokens.redeem(token, from: key.peer, now: now)
        }
        connection.handshakeLifetime = handshakeLifetime(of: connection.receiver)
        for evicted in table.insertHalfOpen(connection, for: key) {
            abandonHandshake(evicted, code: .busy, message: "the handshake gave way to newer ones (too many at once)", now: now)
        }
        if handle.index == slots.count { slots.append(connection) } else { slots[handle.index] = connection }
        events.append(.offered(connection))
        queueForTransmit(connection)
    }

    /// How long a half-open connection waits for its sender's proof: `halfOpenTimeout` (or the
    /// idle timeout, if shorter), unless the sender's announced retry budget made the receiver's
    /// patience longer: then that, since a sender whose proof packets are lost keeps retrying
    /// as long, and forgetting it sooner would answer its next retry with "no such transfer".
    private func handshakeLifetime(of receiver: Receiver) -> UInt64 {
        let configured = min(configuration.halfOpenTimeout, configuration.receiver.idleTimeout)
        return receiver.idleTimeout > configuration.receiver.idleTimeout ? receiver.idleTimeout : configured
    }

    /// Answers a FIN or DATA packet of a transfer confirmed and forgotten with its FIN-ACK again;
    /// anything else from it is late and ignored (an RST would make its sender report a saved
    /// file as failed).
    private func confirmAgain(_ header: PacketHeader, acknowledgement: SequenceNumber, peer: PeerAddress) {
        // DATA too: behind an early FIN, a sender whose ACKs were lost resends its data.
        guard header.type == .fin ? header.sequence + 1 == acknowledgement
                                  : header.type == .data && header.sequence < acknowledgement else { return }
        queue(.finAck(to: peer, connectionID: header.connectionID, acknowledgement: acknowledgement, echo: header.timestamp))
    }

    // MARK: Driver decisions

    /// The open connection `handle` names, or nil once it was reported closed (a decision that
    /// comes too late is then moot, not an error).
    private func openConnection(_ handle: ConnectionHandle) -> InboundConnection? {
        handle.index < slots.count ? slots[handle.index] : nil
    }

    /// Accepts an offered connection: its SYN-ACK goes out.
    ///
    /// 0-RTT: `response` answers the SYN's early data (`InboundConnection.earlyData`, which is
    /// replayable). It goes in the SYN-ACK when that stays within three times what the peer's
    /// address sent (or a token proved the address), else in the FIN-ACK, once the peer's FIN
    /// proved it: one round trip later. A peer that asked for a token gets a fresh one.
    public func accept(_ handle: ConnectionHandle, response: [UInt8]? = nil, now: UInt64) {
        guard let connection = openConnection(handle) else { return }
        let token = connection.receiver.offer.addressToken == nil ? nil : addressTokens.mint(for: connection.peer, now: now)
        connection.accept(now: now, response: response, addressToken: token,
                          amplificationFactor: configuration.amplificationFactor)
        queueForTransmit(connection)
    }

    /// Refuses an offer, or fails a transfer later (integrity, I/O, shutdown): the peer gets an
    /// RST with `message`.
    public func fail(_ handle: ConnectionHandle, code: ResetCode, message: String, now: UInt64) {
        guard let connection = openConnection(handle) else { return }
        connection.fail(code: code, message: message, now: now)
        queueForTransmit(connection)
    }

    /// Confirms a finishing transfer once its data is safely stored: the FIN-ACK goes out.
    public func confirmFinish(_ handle: ConnectionHandle, now: UInt64) {
        guard let connection = openConnection(handle) else { return }
        connection.confirmFinish(now: now)
        queueForTransmit(connection)
    }

    // MARK: Output

    /// The next thing the driver must know of, or nil.
    public func pollEvent() -> EndpointEvent? {
        events.popFirst()
    }

    /// Writes the next datagram to send into `buffer`, or returns nil when there is none.
    public func pollTransmit(into buffer: UnsafeMutableRawBufferPointer, now: UInt64) -> EndpointTransmit? {
        if let copy = pendingCopy {
            pendingCopy = nil
            copy.bytes.withUnsafeBytes { buffer.copyMemory(from: $0) }
            return EndpointTransmit(length: copy.bytes.count, destination: copy.destination)
        }
        while let reply = replies.popFirst() {
            if let length = reply.encode(into: buffer, now: now) {
                return EndpointTransmit(length: length, destination: reply.destination)
            }
        }
        // The connection at the front is taken out while it is polled and put back in front if
        // it sent something, so the queue's reference is moved rather than copied (a copy of
        // `first` costs a retain and a release per call: one call per datagram received). Nothing
        // it calls reaches the queue.
        while let connection = transmitQueue.popFirst() {
            if connection.isOpen,
               let challenge = connection.pollPathChallenge(into: buffer, amplificationFactor: configuration.amplificationFactor,
                                                            now: now) {
                transmitQueue.prepend(connection)
                return challenge
            }
            if connection.isOpen,
               let length = connection.pollTransmit(into: buffer, amplificationFactor: configuration.amplificationFactor,
                                                    now: now) {
                if let address = connection.latestUnvalidatedAddress,
                   connection.pathValidation.reserveCopy(length, to: address,
                                                         amplificationFactor: configuration.amplificationFactor) {
                    pendingCopy = (Array(UnsafeRawBufferPointer(rebasing: buffer[..<length])), address)
                }
                let destination = connection.peer
                transmitQueue.prepend(connection)
                return EndpointTransmit(length: length, destination: destination)
            }
            connection.isQueuedForTransmit = false
        }
        return nil
    }

    // MARK: Timers

    /// When `handleTimeout` must be called next (a connection's timer or a half-open expiry).
    public var nextDeadline: UInt64? {
        var deadline = table.nextHalfOpenExpiry
        for connection in table.transfers {
            if let next = connection.nextDeadline { deadline = min(deadline ?? next, next) }
        }
        return deadline
    }

    /// Runs the timers that are due, forgets half-open connections that expired and connections
    /// that are over. Cheap enough to call after every wake-up.
    public func handleTimeout(now: UInt64) {
        // Handshakes first: one that expires at its receiver's idle deadline (a sender's budget
        // sets both) is reported as the handshake it is, not as an idle transfer.
        for expired in table.expireHalfOpen(now: now) {
            let seconds = Double(expired.handshakeLifetime) / 1e9
            abandonHandshake(expired, code: .idleTimeout,
                             message: "the handshake did not complete: no packet proving the sender's address for \(seconds) s",
                             now: now)
        }
        for connection in table.transfers {
            if let next = connection.nextDeadline, next <= now {
                connection.handleTimeout(now: now)
                queueForTransmit(connection)
            }
        }
        var over: [InboundConnection] = []
        for connection in table.transfers where connection.receiver.isReclaimable { over.append(connection) }
        for connection in over {
            table.remove(connection.key)
            if let acknowledgement = connection.confirmedAcknowledgement {
                completed.remember(connection.key, acknowledgement: acknowledgement, isMigratable: connection.isMigratable, now: now)
            }
            close(connection)
        }
    }

    // MARK: Bookkeeping

    private func queueForTransmit(_ connection: InboundConnection) {
        guard !connection.isQueuedForTransmit else { return }
        connection.isQueuedForTransmit = true
        transmitQueue.append(connection)
    }

    private func queue(_ reply: StatelessReply) {
        guard replies.count < configuration.maxQueuedReplies else { return }
        replies.append(reply)
    }

    /// Forgets a connection whose handshake never completed; its receiver says why (the driver of
    /// a receiver that waits for one transfer reports it), and nothing more is sent to its peer.
    private func abandonHandshake(_ connection: InboundConnection, code: ResetCode, message: String, now: UInt64) {
        // No RST: a sender whose SYN-ACKs were lost is still connecting, and its next SYN opens
        // a new connection; one that sends DATA is told by the RST it gets then.
        connection.fail(code: code, message: message, now: now)
        close(connection)
    }

    /// Frees the connection's handle and tells the driver; it stays out of the transmit queue.
    private func close(_ connection: InboundConnection) {
        firstFlightHeld -= connection.receiver.firstFlightBytes
        connection.isOpen = false
        slots[connection.handle.index] = nil
        freeSlots.append(connection.handle.index)
        events.append(.closed(connection))
    }
}
