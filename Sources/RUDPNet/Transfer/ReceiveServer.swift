#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import RUDP
import SystemKit

/// Something the receive server wants its program to show.
public enum ReceiveEvent {
    case started(name: String, peer: String, protocolName: String, size: UInt64?)
    /// Transfers still running, reported about ten times a second while there are any.
    case progress([ActiveTransfer])
    case finished(ReceivedFileReport)
}

/// A running incoming transfer, for the progress display.
public struct ActiveTransfer: Sendable {
    public var name: String
    public var bytes: UInt64
    public var size: UInt64?
}

/// How a server run ended.
public enum ReceiveServerOutcome: Equatable, Sendable {
    /// `--once`: the first transfer ended, successfully or not.
    case firstTransferEnded(succeeded: Bool)
    case interrupted(String)
}

/// One receiving process's network side: a UDP socket for RUDP and a TCP listener for the
/// baseline on the same port, a poll loop that sleeps until the next datagram, connection or
/// deadline, and the file of each transfer. The RUDP protocol side (demultiplexing, address
/// validation, amplification limits, quotas, answers to strays) is the sans-IO
/// `ReceiverEndpoint`'s; this class only moves bytes and time in and out of it.
///
/// Resources are bounded whatever peers send (docs/SECURITY.md): the endpoint's limits below,
/// and as many TCP baseline transfers as RUDP ones.
public final class ReceiveServer {
    /// The UDP address actually bound (the TCP listener has the same port).
    public let localAddress: SocketAddress
    public let options: ReceiveOptions
    public static let maxConnections = ReceiverEndpointConfiguration().maxConnections
    /// Gives each new RUDP transfer an event observer (for `--trace`), given its peer and
    /// connection ID; nil (the default) traces nothing.
    public var makeObserver: ((SocketAddress, UInt32) -> ProtocolEventObserver?)?

    private let udp: UDPSocket
    private let batchReceiver: BatchReceiver
    private let tcp: TCPListener
    private let endpoint: ReceiverEndpoint
    /// The file side of each open RUDP connection, by connection handle.
    private var transfers: [InboundRUDPTransfer?] = []
    /// Transfers closed since the last report collection (their reports still count).
    private var departed: [InboundRUDPTransfer] = []
    private var tcpTransfers: [InboundTCPTransfer] = []
    private var poller = Poller(capacity: 8)
    private var busyPoll = BusyPoll()
    private let reply = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
    /// The socket address of the last destination, converted once for a run of replies to it.
    private var lastDestination = LastDestination()
    private var reported: Set<ObjectIdentifier> = []
    private var lastProgress: UInt64 = 0
    /// In `--once` mode, the transfer whose end ends the run.
    private var firstTransfer: ObjectIdentifier?
    private var firstSucceeded = false

    /// Binds UDP and TCP on `address` (port 0: the kernel picks one free for both).
    public init(listeningOn address: SocketAddress, options: ReceiveOptions) throws(SendFailure) {
        self.options = options
        // A file-size limit (ulimit -f) must make write() fail with EFBIG, an I/O error that fails
        // one transfer cleanly, rather than raise SIGXFSZ, whose default action kills the server.
        signal(SIGXFSZ, SIG_IGN)
        var receiver = ReceiverConfiguration(initialSequence: 0)
        receiver.idleTimeout = options.idleTimeout
        receiver.idleTimeoutFollowsSender = options.idleTimeoutFollowsSender
        // No memory of confirmed transfers outlives a --once server: its one connection stays
        // until its sender needs no more FIN-ACKs.
        receiver.lingersUntilSenderGivesUp = options.once
        endpoint = ReceiverEndpoint(configuration: ReceiverEndpointConfiguration(receiver: receiver), random: SystemRandom.uint64)
        var attempts = 0
        while true {
            attempts += 1
            let udp: UDPSocket
            do { udp = try UDPSocket(bindingTo: address) } catch {
                throw SendFailure("cannot listen on UDP \(address): \(error)\(error.isAddressInUse ? " (is another rudp-recv running? try another --listen port)" : "")")
            }
            do {
                let tcp = try TCPListener(bindingTo: address.withPort(udp.localAddress.port))
                self.udp = udp
                self.tcp = tcp
                break
            } catch {
                udp.close()
                // With port 0 the UDP port the kernel chose may be taken for TCP: pick again.
                if address.port == 0 && error.isAddressInUse && attempts < 20 { continue }
                throw SendFailure("cannot listen on TCP \(address.withPort(udp.localAddress.port)): \(error)")
            }
        }
        localAddress = udp.localAddress
        _ = udp.setBufferSizes(send: 4 << 20, receive: 8 << 20)
        batchReceiver = BatchReceiver(socket: udp, receiveOffload: options.receiveOffload)
    }

    deinit {
        reply.deallocate()
        udp.close()
        tcp.close()
    }

    /// Serves until interrupted or, with `options.once`, until the first transfer has ended.
    public func run(interruptFileDescriptor: Int32?, isInterrupted: () -> String?,
                    onEvent: (ReceiveEvent) -> Void) throws(SendFailure) -> ReceiveServerOutcome {
        let once = options.once
        while true {
            let endpointDeadline = endpoint.nextDeadline
            var deadline = endpointDeadline
            for transfer in tcpTransfers {
                if let next = transfer.nextDeadline { deadline = min(deadline ?? next, next) }
            }
            if !endpoint.isEmpty || !tcpTransfers.isEmpty {
                let tick = lastProgress + 100_000_000
                deadline = min(deadline ?? tick, tick)
            }
            poller.removeAll()
            let udpIndex = poller.add(udp.fileDescriptor, interest: .readable)
            let tcpIndex = poller.add(tcp.fileDescriptor, interest: .readable)
            let interruptIndex = interruptFileDescriptor.map { poller.add($0, interest: .readable) }
            let firstTCPIndex = poller.count
            for transfer in tcpTransfers { _ = poller.add(transfer.fileDescriptor, interest: transfer.pollInterest) }
            do {
                _ = try poller.wait(until: deadline, spinningFor: busyPoll.spin(now: MonotonicClock.now()),
                                    idleWork: performIdleWork)
            } catch {
                throw SendFailure("poll: \(error)")
            }
            let now = MonotonicClock.now()

            if let interruptIndex, !poller.events(at: interruptIndex).isEmpty, let reason = isInterrupted() {
                shutDown(reason: reason, now: now, onEvent: onEvent)
                return .interrupted(reason)
            }
            if !poller.events(at: udpIndex).isEmpty { try receiveDatagrams(now: now, onEvent: onEvent) }
            for (offset, transfer) in tcpTransfers.enumerated() where !poller.events(at: firstTCPIndex + offset).isEmpty {
                transfer.handleReady(now: now)
            }
            if !poller.events(at: tcpIndex).isEmpty { acceptConnections(now: now, onEvent: onEvent) }
            endpoint.handleTimeout(now: now)
            if let endpointDeadline, endpointDeadline <= now {
                for case let transfer? in transfers { transfer.settle(now: now) }
            }
            handleEndpointEvents(now: now, onEvent: onEvent)
            transmit(now: now)
            for transfer in tcpTransfers {
                if let next = transfer.nextDeadline, next <= now { transfer.handleTimeout(now: now) }
            }
            collectReports(once: once, onEvent: onEvent)
            if now >= lastProgress + 100_000_000 {
                lastProgress = now
                let active = activeTransfers
                if !active.isEmpty { onEvent(.progress(active)) }
            }
            if let outcome = reclaim(once: once) { return outcome }
        }
    }

    /// One slice of file work (hashing, writing) for each transfer that has some; false when
    /// none had any.
    private func performIdleWork() -> Bool {
        var worked = false
        for case let transfer? in transfers {
            if transfer.file?.performIdleWork() == true { worked = true }
        }
        for transfer in tcpTransfers where transfer.performIdleWork() { worked = true }
        return worked
    }

    private var activeTransfers: [ActiveTransfer] {
        var active: [ActiveTransfer] = []
        for case let transfer? in transfers where transfer.report == nil && transfer.file != nil {
            active.append(ActiveTransfer(name: transfer.displayName, bytes: transfer.bytesReceived,
                                         size: transfer.receiver.offer.fileSize))
        }
        for transfer in tcpTransfers where transfer.report == nil {
            active.append(ActiveTransfer(name: transfer.displayName, bytes: transfer.bytesReceived, size: transfer.declaredSize))
        }
        return active
    }

    // MARK: RUDP

    private func receiveDatagrams(now: UInt64, onEvent: (ReceiveEvent) -> Void) throws(SendFailure) {
        // Replies wait for the end of each batch: one acknowledgement then covers what would
        // have taken several.
        defer { transmit(now: now) }
        // Bounded so timers and TCP are served even under a flood.
        do {
            let received = try batchReceiver.receiveRuns(limit: 512, batchEnded: { transmit(now: now) }) { run, peer in
                // A run comes from one peer: convert its address once.
                let source = PeerAddress(peer)
                for bytes in run {
                    let outcome = endpoint.handle(datagram: bytes, from: source, now: now)
                    handleEndpointEvents(now: now, onEvent: onEvent)
                    if let handle = outcome.connection, let transfer = transfers[handle.index] {
                        transfer.consume(inOrderPayload: outcome.inOrderPayload, now: now)
                    }
                }
            }
            if received > 0 { busyPoll.noteActivity(now: now) }
        } catch where error.isConnectionRefused {
            return  // an ICMP error for an earlier reply; the next poll reads on
        } catch {
            throw SendFailure("cannot receive on \(localAddress): \(error)")
        }
    }

    /// Gives each new connection its file side, starts the file once the peer is validated, and
    /// lets go of closed ones.
    private func handleEndpointEvents(now: UInt64, onEvent: (ReceiveEvent) -> Void) {
        while let event = endpoint.pollEvent() {
            switch event {
            case .offered(let connection):
                let peer = SocketAddress(connection.peer)
                if let observer = makeObserver?(peer, connection.key.connectionID) { connection.observe(observer) }
                let transfer = InboundRUDPTransfer(offered: connection, peer: peer, endpoint: endpoint, options: options, now: now)
                let index = connection.handle.index
                if index == transfers.count { transfers.append(transfer) } else { transfers[index] = transfer }
            case .validated(let connection):
                guard let transfer = transfers[connection.handle.index] else { continue }
                // The sender proved its address and the file exists: the transfer started.
                if transfer.start(now: now) {
                    onEvent(.started(name: transfer.displayName, peer: transfer.peer.description,
                                     protocolName: transfer.protocolName, size: transfer.receiver.offer.fileSize))
                }
            case .closed(let connection):
                guard let transfer = transfers[connection.handle.index] else { continue }
                transfer.settle(now: now)
                // A handshake that never completed is the --once server's transfer failing when
                // no other is under way (else it was a stray, or a spoofed SYN).
                if options.once && firstTransfer == nil && endpoint.isEmpty && tcpTransfers.isEmpty {
                    transfer.reportFailedHandshake(now: now)
                }
                transfers[connection.handle.index] = nil
                departed.append(transfer)
            }
        }
    }

    /// Sends every datagram the endpoint has ready.
    private func transmit(now: UInt64) {
        while let transmit = endpoint.pollTransmit(into: reply, now: now) {
            let destination = lastDestination.address(of: transmit.destination)
            // A full socket buffer drops the reply like a lossy link would; the protocol recovers.
            _ = try? udp.send(UnsafeRawBufferPointer(rebasing: reply[0..<transmit.length]), to: destination)
        }
    }

    // MARK: TCP baseline

    private func acceptConnections(now: UInt64, onEvent: (ReceiveEvent) -> Void) {
        while tcpTransfers.count < Self.maxConnections, let stream = try? tcp.accept() {
            let transfer = InboundTCPTransfer(stream: stream, peer: stream.peerAddress, options: options, now: now,
                                              uniqueToken: SystemRandom.uint64())
            tcpTransfers.append(transfer)
            transfer.handleReady(now: now)
        }
    }

    // MARK: Ends

    private func collectReports(once: Bool, onEvent: (ReceiveEvent) -> Void) {
        func note(_ report: ReceivedFileReport?, _ id: ObjectIdentifier) {
            guard let report, !reported.contains(id) else { return }
            reported.insert(id)
            if once && firstTransfer == nil {
                firstTransfer = id
                firstSucceeded = report.succeeded
                endpoint.refusesNewTransfers = "the receiver (--once) has had its one transfer and is about to exit"
            }
            onEvent(.finished(report))
        }
        for case let transfer? in transfers { note(transfer.report, ObjectIdentifier(transfer)) }
        for transfer in departed { note(transfer.report, ObjectIdentifier(transfer)) }
        for transfer in tcpTransfers { note(transfer.report, ObjectIdentifier(transfer)) }
    }

    /// Forgets transfers that are over; in `--once` mode, ends the run when the first one is.
    private func reclaim(once: Bool) -> ReceiveServerOutcome? {
        var firstGone = false
        for transfer in departed {
            reported.remove(ObjectIdentifier(transfer))
            if ObjectIdentifier(transfer) == firstTransfer { firstGone = true }
        }
        departed.removeAll()
        tcpTransfers.removeAll { transfer in
            guard transfer.isClosed else { return false }
            reported.remove(ObjectIdentifier(transfer))
            if ObjectIdentifier(transfer) == firstTransfer { firstGone = true }
            return true
        }
        return firstGone ? .firstTransferEnded(succeeded: firstSucceeded) : nil
    }

    private func shutDown(reason: String, now: UInt64, onEvent: (ReceiveEvent) -> Void) {
        for case let transfer? in transfers where transfer.report == nil {
            transfer.abort(message: "the receiver was stopped (\(reason))", now: now)
        }
        transmit(now: now)
        for transfer in tcpTransfers where transfer.report == nil { transfer.abort(reason: "the receiver was stopped (\(reason))") }
        collectReports(once: false, onEvent: onEvent)
    }
}
