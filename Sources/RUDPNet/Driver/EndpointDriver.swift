import RUDP
import SystemKit

/// One UDP socket's RUDP connections in one poll loop: the outbound `Sender`s it was given and an
/// optional `ReceiverEndpoint` for the connections peers open to it, with an `EndpointApplication`
/// deciding what they carry.
///
/// Each wake-up receives a batch of datagrams and hands each to its owner: the packets a receiver
/// sends (SYN-ACK, ACK, FIN-ACK, RST) to the sender of that connection ID and peer, everything
/// else to the endpoint, which validates, limits and answers as it does for rudp-recv. Then it
/// runs whatever timers are due, lets the application act, and sends all their output. It sleeps
/// until the earliest deadline of any of them or a watched descriptor (a signal notifier's).
public final class EndpointDriver {
    /// What `EndpointApplication.afterInput` decides.
    public enum Step {
        case proceed
        /// The output queued so far is sent, then `run` returns.
        case stop
    }

    public let socket: UDPSocket
    public let endpoint: ReceiverEndpoint?
    private let watched: [Int32]
    private let batchReceiver: BatchReceiver
    private var outbound: [OutboundSender] = []
    private var poller: Poller
    private let datagram = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
    /// The socket address of the endpoint's last destination, converted once for a run of replies to it.
    private var lastDestination = LastDestination()

    /// Drives `socket` (non-blocking, as `UDPSocket` makes it) and `endpoint`, waking too when a
    /// descriptor of `watching` is readable.
    public init(socket: UDPSocket, endpoint: ReceiverEndpoint? = nil, watching descriptors: [Int32] = []) {
        self.socket = socket
        self.endpoint = endpoint
        watched = descriptors
        batchReceiver = BatchReceiver(socket: socket)
        poller = Poller(capacity: 1 + descriptors.count)
    }

    deinit { datagram.deallocate() }

    /// The senders driven now, in the order they were added.
    public var senders: [Sender] { outbound.map(\.sender) }

    /// Drives `sender` from now on; its datagrams go to `peer`, or to the socket's connected peer when nil.
    public func add(_ sender: Sender, to peer: SocketAddress? = nil) {
        let destination = socket.remoteAddress == nil ? peer : nil
        outbound.append(OutboundSender(sender: sender, destination: destination, peer: destination.map(PeerAddress.init)))
    }

    /// Stops driving `sender`; datagrams for it arriving later are dropped.
    public func remove(_ sender: Sender) {
        outbound.removeAll { $0.sender === sender }
    }

    /// Runs until the application's `afterInput` says `.stop` or one of its calls throws (as do
    /// poll and receive errors other than an ICMP port-unreachable for an earlier datagram).
    public func run<Application: EndpointApplication>(_ application: inout Application) throws {
        var now = MonotonicClock.now()
        while true {
            let step = try application.afterInput(driver: self, now: now)
            flush(now: now)
            if step == .stop { return }
            poller.removeAll()
            let socketIndex = poller.add(socket.fileDescriptor, interest: .readable)
            for descriptor in watched { poller.add(descriptor, interest: .readable) }
            _ = try poller.wait(until: nextDeadline(application))
            now = MonotonicClock.now()
            for (offset, descriptor) in watched.enumerated() where !poller.events(at: socketIndex + 1 + offset).isEmpty {
                try application.descriptorReady(descriptor, driver: self, now: now)
            }
            if !poller.events(at: socketIndex).isEmpty { try receive(into: &application, now: now) }
            handleTimeouts(application: &application, now: now)
        }
    }

    private func nextDeadline(_ application: some EndpointApplication) -> UInt64? {
        var deadline = application.nextDeadline
        if let next = endpoint?.nextDeadline { deadline = min(deadline ?? next, next) }
        for entry in outbound {
            if let next = entry.sender.nextDeadline { deadline = min(deadline ?? next, next) }
        }
        return deadline
    }

    // MARK: Input

    private func receive<Application: EndpointApplication>(into application: inout Application, now: UInt64) throws {
        // Through a pointer: the compiler (6.3) crashes on the inout captured by the closure.
        try withUnsafeMutablePointer(to: &application) { application in
            do {
                // Bounded, so that timers are served even under a flood.
                try batchReceiver.receiveRuns(limit: 512) { run, source in
                    // A run comes from one peer: convert its address once.
                    let peer = PeerAddress(source)
                    for bytes in run { dispatch(bytes, from: peer, to: &application.pointee, now: now) }
                }
            } catch let error as SystemError where error.isConnectionRefused {
                return  // an ICMP error for an earlier datagram; the next poll reads on
            }
        }
    }

    private func dispatch<Application: EndpointApplication>(_ bytes: UnsafeRawBufferPointer, from source: PeerAddress,
                                                            to application: inout Application, now: UInt64) {
        guard bytes.count >= WireLayout.connectionIDOffset + 4 else { return }  // no header: lost, as a damaged one is
        let type = PacketType(rawValue: bytes[WireLayout.typeOffset])
        if let type, Self.isSentByReceiver(type) {
            let connectionID = UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: WireLayout.connectionIDOffset,
                                                                     as: UInt32.self))
            if let entry = outbound.first(where: { $0.owns(connectionID: connectionID, from: source) }) {
                entry.sender.handle(datagram: bytes, now: now)
                return
            }
            // Any other is late, for a sender already gone, and no business of the endpoint, which
            // would answer it with an RST; only an RST may be for one of the endpoint's connections.
            guard type == .reset else { return }
        }
        guard let endpoint else { return }
        let outcome = endpoint.handle(datagram: bytes, from: source, now: now)
        drainEvents(application: &application, now: now)
        guard let handle = outcome.connection else { return }
        let connection = endpoint.connection(handle)
        if let payload = outcome.inOrderPayload { application.received(payload, on: connection, driver: self, now: now) }
        connection.receiver.readDelivered { application.received($0, on: connection, driver: self, now: now) }
        application.handled(connection, driver: self, now: now)
    }

    /// Whether a packet type is one a receiver sends, so that a sender must handle it.
    static func isSentByReceiver(_ type: PacketType) -> Bool {
        switch type {
        case .synAck, .ack, .finAck, .reset, .pathChallenge: true
        case .syn, .data, .fin, .pathResponse: false
        }
    }

    private func drainEvents<Application: EndpointApplication>(application: inout Application, now: UInt64) {
        guard let endpoint else { return }
        while let event = endpoint.pollEvent() { application.handle(event, driver: self, now: now) }
    }

    // MARK: Timers and output

    private func handleTimeouts<Application: EndpointApplication>(application: inout Application, now: UInt64) {
        for entry in outbound {
            if let due = entry.sender.nextDeadline, due <= now { entry.sender.handleTimeout(now: now) }
        }
        // The endpoint also forgets connections that are over here: cheap enough for every wake-up.
        endpoint?.handleTimeout(now: now)
        drainEvents(application: &application, now: now)
    }

    /// Sends every datagram the senders and the endpoint have ready. A full socket buffer or an
    /// ICMP error drops one as a lossy link would; the protocol recovers.
    private func flush(now: UInt64) {
        for entry in outbound {
            while let length = entry.sender.pollTransmit(into: datagram, now: now) {
                send(length: length, to: entry.destination)
            }
        }
        guard let endpoint else { return }
        while let transmit = endpoint.pollTransmit(into: datagram, now: now) {
            send(length: transmit.length, to: socket.remoteAddress == nil ? lastDestination.address(of: transmit.destination) : nil)
        }
    }

    private func send(length: Int, to destination: SocketAddress?) {
        let bytes = UnsafeRawBufferPointer(rebasing: datagram[0..<length])
        if let destination {
            _ = try? socket.send(bytes, to: destination)
        } else {
            _ = try? socket.send(bytes)
        }
    }
}
