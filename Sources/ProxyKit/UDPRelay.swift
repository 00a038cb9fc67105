import CLIKit
import Impairment
import SystemKit

/// The lossproxy UDP relay: forwards datagrams between clients and one server through an
/// impaired link (forward = client → server, reverse = server → client).
///
/// Each client address gets an upstream socket towards the server (see `ClientTable`), so
/// that the server sees each client as a distinct peer and its replies reach the right
/// client. A client silent in both directions for `clientIdleTimeout` is forgotten and its
/// upstream socket closed; a datagram from it later starts afresh with a new upstream port.
///
/// Replies from another port of the server's host are followed, as a NAT would
/// (`ReplySocketTable`), unless `strictReply` asks for the exact server address; datagrams
/// from other hosts are refused. Every datagram the relay cannot forward is counted by cause
/// (`RelayDirectionStatistics`). With `tcpPassthroughConnections`, TCP connections to the
/// same port are forwarded unimpaired (`TCPPassthrough`), for tools with a TCP control channel.
///
/// One thread runs one poll loop (`run`) that sleeps until the next socket event, the next
/// datagram the impairment pipelines release (`ImpairedLink.nextReleaseTime`), the next
/// statistics report or the next idle-client check; there is no fixed tick. Sockets are
/// drained in batches (`recvmmsg`, with the kernel's coalescing of segmented runs, split back
/// into datagrams) with a bounded number of datagrams per wake-up, so that a flood on one
/// socket cannot starve the timers or the other sockets; released datagrams leave in runs
/// (segmentation offload), one system call per run. Nothing is allocated per datagram.
public final class UDPRelay: @unchecked Sendable {
    /// What the relay listens on, where it forwards, and how it impairs.
    public struct Configuration: Sendable {
        /// Where clients send their datagrams (port 0: the kernel chooses; see `localAddress`).
        public var listenAddress: SocketAddress
        /// The server every client's datagrams are forwarded to.
        public var serverAddress: SocketAddress
        /// Impairments of the client → server direction.
        public var forward: ImpairmentConfig
        /// Impairments of the server → client direction.
        public var reverse: ImpairmentConfig
        /// The seed of every random decision of both directions.
        public var seed: UInt64
        /// A client silent this long (ns) in both directions is forgotten (default 60 s).
        public var clientIdleTimeout: UInt64 = UDPRelay.defaultClientIdleTimeout
        /// Nanoseconds between statistics reports given to `run`'s `onReport`; nil for none.
        public var statisticsInterval: UInt64? = nil
        /// Socket buffer size asked for on every socket, best effort (the kernel caps it).
        public var socketBufferSize = 4 << 20
        /// Accept replies only from `serverAddress` itself, not from the other ports of its host.
        public var strictReply = false
        /// TCP connections to forward unimpaired at most at once; nil: no TCP at all.
        public var tcpPassthroughConnections: Int? = nil
        /// Every this many nanoseconds each client moves to a new upstream socket (a new source
        /// port towards the server), as a NAT rebinding does; nil: never (`--rebind DUR`).
        public var rebindInterval: UInt64? = nil

        /// A relay from `listenAddress` to `serverAddress`, impairing nothing unless told.
        public init(listenAddress: SocketAddress, serverAddress: SocketAddress,
                    forward: ImpairmentConfig = .none, reverse: ImpairmentConfig = .none, seed: UInt64 = 0) {
            self.listenAddress = listenAddress
            self.serverAddress = serverAddress
            self.forward = forward
            self.reverse = reverse
            self.seed = seed
        }
    }

    /// How long a silent client keeps its upstream socket by default: 60 s, far longer than any
    /// pause inside a transfer (rudp-recv itself gives up after 10 s of silence), short enough
    /// that a proxy serving many short runs does not pile up sockets.
    public static let defaultClientIdleTimeout: UInt64 = 60_000_000_000
    /// Datagrams taken from one socket per wake-up at most, before timers are looked at again.
    static let datagramsPerWakeUp = 256

    /// The configuration in effect.
    public let configuration: Configuration
    /// The address clients send to, with the port the kernel chose if 0 was asked for.
    public let localAddress: SocketAddress

    private let listenSocket: UDPSocket
    private let link: ImpairedLink
    private let clients = ClientTable()
    private let replySockets = ReplySocketTable()
    /// The server, as the upstream sockets send to it.
    private let serverDestination: RawSocketAddress
    private var tcpPassthrough: TCPPassthrough?
    private let batch = ReceiveSlots()
    private let sendBatch = SendBatch()
    private var forwardCounters = RelayDirectionStatistics()
    private var reverseCounters = RelayDirectionStatistics()
    private var startTime: UInt64 = 0
    private var log = ThrottledLog()
    /// `--pcap`: every datagram before and after impairment; nil when no capture was asked.
    private var capture: PacketCapture?
    /// `--schedule`: impairments changing while relaying (set before `run`); nil for none.
    public var impairmentSchedule: ScheduledImpairments?

    /// Binds the listening socket. Throws `SystemError` (address in use, not available…).
    public init(_ configuration: Configuration) throws(SystemError) {
        self.configuration = configuration
        listenSocket = try UDPSocket(bindingTo: configuration.listenAddress)
        listenSocket.setBufferSizes(send: configuration.socketBufferSize, receive: configuration.socketBufferSize)
        ReceiveSlots.allowCoalescing(on: listenSocket)
        localAddress = listenSocket.localAddress
        serverDestination = RawSocketAddress(configuration.serverAddress, forSocketFamily: configuration.serverAddress.family)
        if let connections = configuration.tcpPassthroughConnections {
            tcpPassthrough = try TCPPassthrough(listeningOn: localAddress, server: configuration.serverAddress,
                                                maxConnections: connections)
        }
        link = ImpairedLink(forward: configuration.forward, reverse: configuration.reverse, seed: configuration.seed)
    }

    /// Captures every datagram, before and after impairment, into the pcapng file `path`
    /// from now on (see `PacketCapture`). Throws if the file cannot be created.
    public func capture(to path: String) throws(SystemError) {
        let capture = try PacketCapture(
            path: path, source: "lossproxy relay \(localAddress) -> \(configuration.serverAddress)")
        capture.attach(to: link)
        self.capture = capture
    }

    /// Relays until `stopFileDescriptor` becomes readable (a `StopSwitch`, or the
    /// `SignalNotifier` pipe), then returns the final statistics. Datagrams still held by the
    /// impairment pipelines at that moment are not sent (the report counts them as held).
    ///
    /// - Parameters:
    ///   - onReport: called on this thread every `statisticsInterval` with cumulative counters.
    ///   - log: called on this thread with one line (no program prefix) when a client comes or
    ///     goes, or when sending fails (each kind of failure at most once per 10 s).
    /// - Throws: `SystemError` only if polling itself fails; socket errors are counted instead.
    public func run(
        stopWhenReadable stopFileDescriptor: Int32?,
        onReport: (RelayStatistics) -> Void = { _ in },
        log: @escaping (String) -> Void = { _ in }
    ) throws(SystemError) -> RelayStatistics {
        self.log.write = log
        capture?.log = log
        defer { capture?.finish() }
        tcpPassthrough?.start()
        defer { tcpPassthrough?.stop() }
        startTime = MonotonicClock.now()
        let expiryCheckInterval = max(min(configuration.clientIdleTimeout / 4, 1_000_000_000), 1_000_000)
        var nextExpiryCheck = startTime + expiryCheckInterval
        var nextRebind = configuration.rebindInterval.map { startTime + $0 }
        var reports = ReportSchedule(every: configuration.statisticsInterval, from: startTime)
        var waiter = Poller(capacity: 16, precision: .nanoseconds)
        var busyPoll = BusyPoll()
        var slotOfEntry: [Int] = []
        var replyPortOfEntry: [UInt16] = []
        var stopEntry = -1
        var listenEntry = 0
        clients.membershipChanged = true
        defer {
            clients.removeAll()
            replySockets.removeAll()
        }

        while true {
            let now = MonotonicClock.now()
            if let tcpPassthrough { for line in tcpPassthrough.takeLog() { self.log.write(line) } }
            impairmentSchedule?.applyDue(to: link, now: now, start: startTime)
            releaseDue(now: now)
            if reports.isDue(now: now) { onReport(statistics(now: now, isFinal: false)) }
            if now >= nextExpiryCheck {
                expireIdleClients(now: now)
                nextExpiryCheck = now + expiryCheckInterval
            }
            if let due = nextRebind, now >= due, let interval = configuration.rebindInterval {
                rebindClients()
                nextRebind = max(due + interval, now)
            }
            if clients.membershipChanged || replySockets.membershipChanged {
                clients.membershipChanged = false
                replySockets.membershipChanged = false
                waiter.removeAll()
                slotOfEntry.removeAll(keepingCapacity: true)
                replyPortOfEntry.removeAll(keepingCapacity: true)
                stopEntry = stopFileDescriptor.map { waiter.add($0, interest: .readable) } ?? -1
                listenEntry = waiter.add(listenSocket.fileDescriptor, interest: .readable)
                for (slot, client) in clients.slots.enumerated() {
                    guard let client else { continue }
                    waiter.add(client.socket.fileDescriptor, interest: .readable)
                    slotOfEntry.append(slot)
                }
                for (port, entry) in replySockets.entries {
                    waiter.add(entry.socket.fileDescriptor, interest: .readable)
                    replyPortOfEntry.append(port)
                }
            }
            var deadline = reports.earliest(link.nextReleaseTime)
            if clients.count > 0 || !replySockets.entries.isEmpty {
                deadline = min(deadline ?? nextExpiryCheck, nextExpiryCheck)
            }
            deadline = impairmentSchedule?.earliest(deadline, start: startTime, now: now) ?? deadline
            if let nextRebind, clients.count > 0 { deadline = min(deadline ?? nextRebind, nextRebind) }

            guard try waiter.wait(until: deadline, spinningFor: busyPoll.spin(now: now)) > 0 else { continue }
            if stopEntry >= 0 && !waiter.events(at: stopEntry).isEmpty {
                if impairmentSchedule?.handleWakeUp(link: link, now: MonotonicClock.now(), start: startTime) == true { continue }
                break
            }
            busyPoll.noteActivity(now: MonotonicClock.now())
            if !waiter.events(at: listenEntry).isEmpty {
                drainClients(from: listenSocket, serverPort: configuration.serverAddress.port)
            }
            let firstClientEntry = listenEntry + 1
            for (offset, slot) in slotOfEntry.enumerated() {
                let events = waiter.events(at: firstClientEntry + offset)
                // Clients are removed only at the top of the loop, so each polled slot still
                // holds the client that was polled.
                if !events.isEmpty { drainServer(slot: slot, events: events) }
            }
            let firstReplyEntry = firstClientEntry + slotOfEntry.count
            for (offset, port) in replyPortOfEntry.enumerated() where !waiter.events(at: firstReplyEntry + offset).isEmpty {
                // A reply socket closed since the poll set was built (a new one took its
                // place) is simply skipped.
                guard let socket = replySockets[port]?.socket else { continue }
                drainClients(from: socket, serverPort: port)
            }
        }
        return statistics(now: MonotonicClock.now(), isFinal: true)
    }

    // MARK: - Receiving

    /// Takes datagrams from clients on `socket` (the listening socket, or the reply socket of
    /// `serverPort`) into the forward pipeline, towards `serverPort`, opening upstream sockets
    /// for new clients (on the listening socket only), and releases what is due after each batch.
    private func drainClients(from socket: UDPSocket, serverPort: UInt16) {
        var now = MonotonicClock.now()
        let pipeline = link.forward
        let isListening = socket === listenSocket
        let socketAddress = socket.localAddress
        do throws(SystemError) {
            try batch.receiveRuns(from: socket, limit: Self.datagramsPerWakeUp, batchEnded: {
                releaseForward(now: now)
                now = MonotonicClock.now()
            }) { run, source in
                let slot: Int
                if let known = clients.slot(of: source) {
                    slot = known
                } else if !isListening {
                    forwardCounters.unknownClient += max(1, run.count)
                    return
                } else if let added = addClient(source, now: now) {
                    slot = added
                } else {
                    forwardCounters.noUpstreamSocket += max(1, run.count)
                    return
                }
                clients.touch(slot, now: now)
                if !isListening { replySockets.touch(serverPort: serverPort, now: now) }
                Self.submit(run, to: pipeline, tag: clients.tag(ofSlot: slot, serverPort: serverPort), now: now,
                            recording: capture.map { CaptureSite($0, $0.forward, from: source, to: socketAddress) })
            }
        } catch {
            log.note("receive", "receiving from clients failed: \(error)")
        }
    }

    /// Takes the server's datagrams for the client in `slot` into the reverse pipeline, and
    /// releases what is due after each batch. Replies from another port of the server's host
    /// are followed (a reply socket is opened for that port) unless `strictReply`; datagrams
    /// from any other host are refused.
    private func drainServer(slot: Int, events: PollEvents) {
        guard clients.slots.indices.contains(slot), let client = clients.slots[slot] else { return }
        if events.contains(.error) { discardErrorReports(of: client.socket) }
        var now = MonotonicClock.now()
        let pipeline = link.reverse
        let server = configuration.serverAddress
        do throws(SystemError) {
            try batch.receiveRuns(from: client.socket, limit: Self.datagramsPerWakeUp, batchEnded: {
                clients.touch(slot, now: now)
                releaseReverse(now: now)
                now = MonotonicClock.now()
            }) { run, source in
                let port = source.port
                if source != server {
                    let isServerHost = source.withPort(server.port) == server
                    guard isServerHost else {
                        reverseCounters.wrongSource += max(1, run.count)
                        return
                    }
                    guard !configuration.strictReply else {
                        reverseCounters.strictReply += max(1, run.count)
                        return
                    }
                    reverseCounters.fromOtherPort += max(1, run.count)
                    openReplySocket(serverPort: port, now: now)
                }
                Self.submit(run, to: pipeline, tag: clients.tag(ofSlot: slot, serverPort: port), now: now,
                            recording: capture.map { CaptureSite($0, $0.reverse, from: source, to: client.socket.localAddress) })
            }
        } catch {
            noteServerError(error)
            if error.isConnectionRefused { discardErrorReports(of: client.socket) }
        }
    }

    /// Empties an upstream socket's error queue, counting its reports (ICMP errors about
    /// datagrams forwarded to the server): while one waits, poll keeps waking the relay.
    private func discardErrorReports(of socket: UDPSocket) {
        let (reports, error) = socket.discardQueuedErrors()
        forwardCounters.unreachableReports += reports
        if let error { noteServerError(error) }
    }

    /// Makes sure a reply socket is open for `serverPort`, and marks it active. If none can be
    /// opened, its replies are counted as `noReplySocket` when released.
    private func openReplySocket(serverPort: UInt16, now: UInt64) {
        if replySockets[serverPort] != nil {
            replySockets.touch(serverPort: serverPort, now: now)
            return
        }
        do {
            if let address = try replySockets.open(
                serverPort: serverPort, listenAddress: localAddress, server: configuration.serverAddress,
                bufferSize: configuration.socketBufferSize, now: now)
            {
                log.write("the server answers from its port \(serverPort): relayed to clients from \(address)")
            }
        } catch {
            log.note("reply-socket", "cannot open a socket for replies from the server's port \(serverPort): \(error)")
        }
    }

    /// Gives the pipeline each datagram of `run`, recording it in the capture if there is one;
    /// an empty datagram, which a run does not yield, is relayed too (it is a datagram like any
    /// other to the peers).
    @inline(__always)
    private static func submit(_ run: DatagramRun, to pipeline: ImpairmentPipeline, tag: UInt64, now: UInt64,
                               recording site: CaptureSite?) {
        guard !run.bytes.isEmpty else {
            pipeline.submit(run.bytes, tag: tag, now: now)
            site?.recordArrival(run.bytes, now: now)
            return
        }
        for datagram in run {
            pipeline.submit(datagram, tag: tag, now: now)
            site?.recordArrival(datagram, now: now)
        }
    }

    /// A new upstream socket: any free port, errors reported, the relay's buffer sizes.
    private func makeUpstreamSocket() throws(SystemError) -> UDPSocket {
        let socket = try UDPSocket(bindingTo: .wildcard(configuration.serverAddress.family, port: 0))
        socket.reportErrors()
        socket.setBufferSizes(send: configuration.socketBufferSize, receive: configuration.socketBufferSize)
        ReceiveSlots.allowCoalescing(on: socket)
        return socket
    }

    /// `--rebind`: every client moves to a new upstream socket, so the server sees it from a
    /// new port from now on; the old socket is closed. A client whose new socket cannot be
    /// opened keeps its old one (and the failure is logged).
    private func rebindClients() {
        for slot in clients.slots.indices {
            guard let client = clients.slots[slot] else { continue }
            do {
                let socket = try makeUpstreamSocket()
                let before = client.socket.localAddress.port
                clients.rebind(slot, to: socket)
                log.note("rebind", "client \(client.address) rebound: port \(before) -> \(socket.localAddress.port) towards the server")
            } catch {
                log.note("rebind-failed", "cannot rebind client \(client.address): \(error)")
            }
        }
    }

    private func addClient(_ address: SocketAddress, now: UInt64) -> Int? {
        var evicted = false
        while true {
            do {
                let socket = try makeUpstreamSocket()
                let slot = clients.add(address: address, listenFamily: listenSocket.family, socket: socket, now: now)
                log.write("new client \(address), forwarded to \(configuration.serverAddress) from port \(socket.localAddress.port)")
                return slot
            } catch where error.isOutOfDescriptors && !evicted {
                // Out of descriptors: the busiest host's least active client gives its socket
                // up (it gets a new one, as behind a NAT, when it speaks again).
                guard let victim = clients.evictForNewClient() else { return nil }
                evicted = true
                log.note("evict", "out of file descriptors: client \(victim.address) gave up its upstream socket to new clients")
            } catch {
                log.note("upstream", "cannot open a socket to the server for client \(address): \(error)")
                return nil
            }
        }
    }

    private func expireIdleClients(now: UInt64) {
        guard clients.count > 0 || !replySockets.entries.isEmpty, now > configuration.clientIdleTimeout else { return }
        let cutoff = now - configuration.clientIdleTimeout
        let timeout = HumanFormat.duration(nanoseconds: configuration.clientIdleTimeout)
        for client in clients.removeClients(idleSince: cutoff) {
            log.write("client \(client.address) expired after \(timeout) without traffic")
        }
        for port in replySockets.closeSockets(idleSince: cutoff) {
            log.write("the reply socket for the server's port \(port) closed after \(timeout) without traffic")
        }
    }

    // MARK: - Sending what the pipelines release

    private func releaseDue(now: UInt64) {
        releaseForward(now: now)
        releaseReverse(now: now)
    }

    private func releaseForward(now: UInt64) {
        var outcome = SendBatch.Outcome()
        let serverPort = configuration.serverAddress.port
        link.forward.releaseDue(now: now) { bytes, tag in
            guard let slot = clients.slot(ofTag: tag) else {
                forwardCounters.clientExpired += 1
                return
            }
            let socket = clients.slots[slot].unsafelyUnwrapped.socket
            let port = RelayTag.serverPort(tag)
            let destination = port == serverPort ? serverDestination
                : replySockets[port]?.serverDestination
                ?? RawSocketAddress(configuration.serverAddress.withPort(port), forSocketFamily: socket.family)
            sendBatch.append(bytes, socket: socket, destination: destination, flow: slot << 16 | Int(port), outcome: &outcome)
            if let capture {
                capture.recordRelease(capture.forward, bytes,
                                      addresses: (socket.localAddress, configuration.serverAddress.withPort(port)), now: now)
            }
        }
        sendBatch.flush(into: &outcome)
        forwardCounters.add(outcome)
        if let error = outcome.firstError {
            noteServerError(error)
        } else if outcome.failed > 0 {
            log.note("forward-full", "datagrams to the server were dropped: the socket buffer is full")
        }
    }

    private func releaseReverse(now: UInt64) {
        var outcome = SendBatch.Outcome()
        let serverPort = configuration.serverAddress.port
        link.reverse.releaseDue(now: now) { bytes, tag in
            guard let slot = clients.slot(ofTag: tag) else {
                reverseCounters.clientExpired += 1
                return
            }
            let client = clients.slots[slot].unsafelyUnwrapped
            let port = RelayTag.serverPort(tag)
            let socket: UDPSocket
            if port == serverPort {
                socket = listenSocket
            } else if let entry = replySockets[port] {
                socket = entry.socket
            } else {
                reverseCounters.noReplySocket += 1
                return
            }
            sendBatch.append(bytes, socket: socket, destination: client.replyAddress, flow: slot << 16 | Int(port),
                             outcome: &outcome)
            if let capture {
                capture.recordRelease(capture.reverse, bytes, addresses: (socket.localAddress, client.address), now: now)
            }
        }
        sendBatch.flush(into: &outcome)
        reverseCounters.add(outcome)
        if let error = outcome.firstError {
            log.note("reverse-\(error.errno)", "sending to a client failed: \(error)")
        } else if outcome.failed > 0 {
            log.note("reverse-full", "datagrams to clients were dropped: the socket buffer is full")
        }
    }

    // MARK: - Reporting

    private func statistics(now: UInt64, isFinal: Bool) -> RelayStatistics {
        var report = RelayStatistics()
        report.elapsed = now - startTime
        report.isFinal = isFinal
        report.activeClients = clients.count
        report.totalClients = clients.totalAdded
        report.evictedClients = clients.evictedCount
        report.rebinds = clients.rebindCount
        report.replySockets = replySockets.entries.count
        report.replySocketsTotal = replySockets.totalOpened
        report.tcp = tcpPassthrough?.statistics
        report.forward = forwardCounters
        report.forward.impairment = link.forward.stats
        report.reverse = reverseCounters
        report.reverse.impairment = link.reverse.stats
        report.impairmentChanges = impairmentSchedule?.records
        return report
    }

    private func noteServerError(_ error: SystemError) {
        if error.isConnectionRefused {
            log.note("refused", "the server \(configuration.serverAddress) refused datagrams (ICMP port unreachable): is it running?")
        } else {
            log.note("server-\(error.errno)", "exchanging datagrams with the server failed: \(error)")
        }
    }
}
