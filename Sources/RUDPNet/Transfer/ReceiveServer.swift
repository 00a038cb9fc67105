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

/// One receiving endpoint: a UDP socket for RUDP and a TCP listener for the baseline on the
/// same port, a poll loop that sleeps until the next datagram, connection or deadline, and the
/// table of transfers in progress, demultiplexed by peer address and connection ID.
///
/// Resources are bounded whatever peers send (docs/SECURITY.md): at most `maxConnections`
/// established RUDP transfers and `memoryBudget` bytes of reassembly buffers; at most
/// `maxHalfOpenConnections` handshakes in progress, which expire and give way, oldest first, to
/// new ones; an address that has not completed the handshake is sent at most three times what
/// it sent (see ConnectionTable and InboundRUDPTransfer).
public final class ReceiveServer {
    /// The UDP address actually bound (the TCP listener has the same port).
    public let localAddress: SocketAddress
    public let options: ReceiveOptions
    public static let maxConnections = 1_024
    /// Handshakes in progress (each holds a few kilobytes: no file, no buffer).
    public static let maxHalfOpenConnections = 4_096
    /// Reassembly memory of all RUDP connections together (each is also bounded, by default to 32 MiB).
    public static let memoryBudget = 1 << 30
    /// A half-open connection with nothing from its peer for this long (or the idle timeout,
    /// if shorter) is forgotten. A real sender resends its SYN well within it.
    public static let halfOpenTimeout: UInt64 = 5_000_000_000
    /// How many confirmed transfers, and for how long, are remembered after their connections
    /// end, to confirm a FIN retransmitted that late (see CompletedTransfers).
    public static let completedTransfersRemembered = 16_384
    public static let completedTransferHorizon: UInt64 = 300_000_000_000
    /// Gives each new RUDP transfer an event observer (for `--trace`), given its peer and
    /// connection ID; nil (the default) traces nothing.
    public var makeObserver: ((SocketAddress, UInt32) -> ProtocolEventObserver?)?

    private let udp: UDPSocket
    private let batchReceiver: BatchReceiver
    private let tcp: TCPListener
    private var connections: ConnectionTable
    /// Connections evicted or expired since the last report collection (their reports still count).
    private var departed: [InboundRUDPTransfer] = []
    private var completed = CompletedTransfers(capacity: ReceiveServer.completedTransfersRemembered,
                                               horizon: ReceiveServer.completedTransferHorizon)
    private var tcpTransfers: [InboundTCPTransfer] = []
    private var poller = Poller(capacity: 8)
    private var busyPoll = BusyPoll()
    private let reply = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
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
        connections = ConnectionTable(capacity: Self.maxConnections, halfOpenCapacity: Self.maxHalfOpenConnections,
                                      memoryBudget: Self.memoryBudget, halfOpenTimeout: min(Self.halfOpenTimeout, options.idleTimeout))
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
        batchReceiver = BatchReceiver(socket: udp)
    }

    deinit {
        reply.deallocate()
        udp.close()
        tcp.close()
    }

    /// Serves until interrupted or, with `once`, until the first transfer has ended.
    public func run(once: Bool, interruptFileDescriptor: Int32?, isInterrupted: () -> String?,
                    onEvent: (ReceiveEvent) -> Void) throws(SendFailure) -> ReceiveServerOutcome {
        while true {
            var deadline: UInt64? = nil
            for transfer in connections.transfers {
                if let next = transfer.nextDeadline { deadline = min(deadline ?? next, next) }
            }
            for transfer in tcpTransfers {
                if let next = transfer.nextDeadline { deadline = min(deadline ?? next, next) }
            }
            if !connections.isEmpty || !tcpTransfers.isEmpty {
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
            for transfer in connections.transfers {
                if let next = transfer.nextDeadline, next <= now {
                    transfer.handleTimeout(now: now)
                    flush(transfer, now: now)
                }
            }
            departed += connections.expireHalfOpen(now: now)
            for transfer in tcpTransfers {
                if let next = transfer.nextDeadline, next <= now { transfer.handleTimeout(now: now) }
            }
            collectReports(once: once, onEvent: onEvent)
            if now >= lastProgress + 100_000_000 {
                lastProgress = now
                let active = activeTransfers
                if !active.isEmpty { onEvent(.progress(active)) }
            }
            if let outcome = reclaim(once: once, now: now) { return outcome }
        }
    }

    /// One slice of file work (hashing, writing) for each transfer that has some; false when
    /// none had any.
    private func performIdleWork() -> Bool {
        var worked = false
        for transfer in connections.transfers {
            if transfer.file?.performIdleWork() == true { worked = true }
        }
        for transfer in tcpTransfers where transfer.performIdleWork() { worked = true }
        return worked
    }

    private var activeTransfers: [ActiveTransfer] {
        var active: [ActiveTransfer] = []
        for transfer in connections.transfers where transfer.report == nil && transfer.file != nil {
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
        // Replies wait for the end of the batch, or of a run of one transfer's datagrams:
        // one acknowledgement then covers what would have taken several.
        var unflushed: InboundRUDPTransfer?
        func flushUnflushed() {
            if let transfer = unflushed { flush(transfer, now: now) }
            unflushed = nil
        }
        defer { flushUnflushed() }
        // Bounded so timers and TCP are served even under a flood.
        do {
            let received = try batchReceiver.receiveRuns(limit: 512, batchEnded: flushUnflushed) { run, peer in
                // A run comes from one peer, nearly always for one connection: look it up once.
                var current: (connectionID: UInt32, transfer: InboundRUDPTransfer)?
                for bytes in run {
                    guard let packet = try? PacketView.decode(bytes) else { continue }  // corrupted or not ours: as if lost
                    let connectionID = packet.header.connectionID
                    if current?.connectionID != connectionID {
                        current = connections.lookup(ConnectionTable.Key(peer: peer, connectionID: connectionID))
                            .map { (connectionID, $0) }
                    }
                    if let transfer = current?.transfer {
                        let started = transfer.handle(packet: packet, datagramLength: bytes.count, now: now) {
                            connections.admit(ConnectionTable.Key(peer: peer, connectionID: connectionID))
                        }
                        if started { announce(transfer, onEvent) }
                        if unflushed !== transfer {
                            flushUnflushed()
                            unflushed = transfer
                        }
                        continue
                    }
                    let key = ConnectionTable.Key(peer: peer, connectionID: connectionID)
                    if packet.header.type != .syn, let acknowledgement = completed.acknowledgement(for: key, now: now) {
                        confirmAgain(packet.header, acknowledgement: acknowledgement, peer: peer, now: now)
                    } else if packet.header.type == .syn {
                        open(packet, datagramLength: bytes.count, key: key, now: now)
                        current = nil  // opening may have evicted a connection: look up again
                    } else if packet.header.type != .reset {
                        refuseUnknown(packet.header, datagramLength: bytes.count, peer: peer, now: now)
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

    private func open(_ syn: PacketView, datagramLength: Int, key: ConnectionTable.Key, now: UInt64) {
        let limit = InboundRUDPTransfer.amplificationFactor * datagramLength
        guard connections.establishedCount < Self.maxConnections else {
            sendReset(to: key.peer, connectionID: key.connectionID, code: .busy,
                      message: "the receiver is busy (\(Self.maxConnections) transfers in progress); try again later",
                      limit: limit, now: now)
            return
        }
        var configuration = ReceiverConfiguration(initialSequence: SystemRandom.uint32())
        configuration.idleTimeout = options.idleTimeout
        // The grant is what memory is left now; the transfer is admitted only if it still fits
        // once its sender completes the handshake.
        configuration.maxBufferBytes = min(configuration.maxBufferBytes, connections.availableBytes)
        let transfer: InboundRUDPTransfer
        do {
            // A random offset of up to 2^32 µs makes this connection's timestamps unpredictable.
            transfer = try InboundRUDPTransfer(
                syn: syn, datagramLength: datagramLength, peer: key.peer, options: options, configuration: configuration,
                clockOffset: UInt64(SystemRandom.uint32()) * 1_000, observer: makeObserver?(key.peer, key.connectionID),
                now: now)
        } catch {
            sendReset(to: key.peer, connectionID: key.connectionID, code: .protocolViolation, message: error.description,
                      limit: limit, now: now)
            return
        }
        departed += connections.insertHalfOpen(transfer, for: key)
        flush(transfer, now: now)
    }

    /// Tells the program a transfer started (its sender proved its address and the file exists).
    private func announce(_ transfer: InboundRUDPTransfer, _ onEvent: (ReceiveEvent) -> Void) {
        onEvent(.started(name: transfer.displayName, peer: transfer.peer.description, protocolName: transfer.protocolName,
                         size: transfer.receiver.offer.fileSize))
    }

    private func refuseUnknown(_ header: PacketHeader, datagramLength: Int, peer: SocketAddress, now: UInt64) {
        sendReset(to: peer, connectionID: header.connectionID, code: .unknownConnection,
                  message: "the receiver has no such transfer (it restarted, or gave up on it)",
                  limit: InboundRUDPTransfer.amplificationFactor * datagramLength, now: now)
    }

    /// Answers a FIN of a transfer confirmed and forgotten with its FIN-ACK again; anything else
    /// from it is late and ignored (an RST would make its sender fail).
    private func confirmAgain(_ header: PacketHeader, acknowledgement: SequenceNumber, peer: SocketAddress, now: UInt64) {
        guard header.type == .fin, header.sequence + 1 == acknowledgement else { return }
        let reply = PacketHeader(type: .finAck, connectionID: header.connectionID, acknowledgement: acknowledgement,
                                 timestamp: UInt32(truncatingIfNeeded: now / 1_000) | 1, timestampEcho: header.timestamp)
        guard let length = try? PacketEncoder.encode(reply, payload: UnsafeRawBufferPointer(start: nil, count: 0), into: self.reply)
        else { return }
        _ = try? udp.send(UnsafeRawBufferPointer(rebasing: self.reply[0..<length]), to: peer)
    }

    /// An RST outside any connection, no larger than `limit` (its message is cut to fit): the
    /// answer to one datagram never exceeds three times its size.
    private func sendReset(to peer: SocketAddress, connectionID: UInt32, code: ResetCode, message: String, limit: Int,
                           now: UInt64) {
        let header = PacketHeader(type: .reset, connectionID: connectionID, timestamp: UInt32(truncatingIfNeeded: now / 1_000) | 1)
        guard let datagram = InboundRUDPTransfer.encodeReset(header, code: code, message: message, limit: limit, into: reply)
        else { return }
        _ = try? udp.send(datagram, to: peer)
    }

    private func flush(_ transfer: InboundRUDPTransfer, now: UInt64) {
        transfer.transmit(into: reply, now: now) { datagram in
            // A full socket buffer drops the reply like a lossy link would; the protocol recovers.
            _ = try? udp.send(datagram, to: transfer.peer)
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
            }
            onEvent(.finished(report))
        }
        for transfer in connections.transfers { note(transfer.report, ObjectIdentifier(transfer)) }
        for transfer in departed { note(transfer.report, ObjectIdentifier(transfer)) }
        for transfer in tcpTransfers { note(transfer.report, ObjectIdentifier(transfer)) }
    }

    /// Forgets transfers that are over; in `--once` mode, ends the run when the first one is.
    private func reclaim(once: Bool, now: UInt64) -> ReceiveServerOutcome? {
        var firstGone = false
        for (key, transfer) in connections.entries where transfer.receiver.isReclaimable {
            connections.remove(key)
            departed.append(transfer)
            if let acknowledgement = transfer.confirmedAcknowledgement {
                completed.remember(key, acknowledgement: acknowledgement, now: now)
            }
        }
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
        for transfer in connections.transfers where transfer.report == nil {
            transfer.abort(message: "the receiver was stopped (\(reason))", now: now)
            flush(transfer, now: now)
        }
        for transfer in tcpTransfers where transfer.report == nil { transfer.abort(reason: "the receiver was stopped (\(reason))") }
        collectReports(once: false, onEvent: onEvent)
    }
}
