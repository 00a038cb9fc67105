import CLIKit
import Impairment
import SystemKit

/// The lossproxy UDP relay: forwards datagrams between clients and one server through an
/// impaired link (forward = client → server, reverse = server → client).
///
/// Each client address gets an upstream socket connected to the server (see `ClientTable`),
/// so that the server sees each client as a distinct peer and its replies reach the right
/// client. A client silent in both directions for `clientIdleTimeout` is forgotten and its
/// upstream socket closed; a datagram from it later starts afresh with a new upstream port.
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

    /// Tag of a datagram from a client for which no upstream socket could be opened: it goes
    /// through the pipeline like any other and is counted as a failed send on release.
    private static let noClientTag = UInt64.max

    /// Binds the listening socket. Throws `SystemError` (address in use, not available…).
    public init(_ configuration: Configuration) throws(SystemError) {
        self.configuration = configuration
        listenSocket = try UDPSocket(bindingTo: configuration.listenAddress)
        listenSocket.setBufferSizes(send: configuration.socketBufferSize, receive: configuration.socketBufferSize)
        ReceiveSlots.allowCoalescing(on: listenSocket)
        localAddress = listenSocket.localAddress
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
        startTime = MonotonicClock.now()
        let expiryCheckInterval = max(min(configuration.clientIdleTimeout / 4, 1_000_000_000), 1_000_000)
        var nextExpiryCheck = startTime + expiryCheckInterval
        var reports = ReportSchedule(every: configuration.statisticsInterval, from: startTime)
        var waiter = Poller(capacity: 16, precision: .nanoseconds)
        var busyPoll = BusyPoll()
        var slotOfEntry: [Int] = []
        var stopEntry = -1
        var listenEntry = 0
        clients.membershipChanged = true
        defer { clients.removeAll() }

        while true {
            let now = MonotonicClock.now()
            impairmentSchedule?.applyDue(to: link, now: now, start: startTime)
            releaseDue(now: now)
            if reports.isDue(now: now) { onReport(statistics(now: now, isFinal: false)) }
            if now >= nextExpiryCheck {
                expireIdleClients(now: now)
                nextExpiryCheck = now + expiryCheckInterval
            }
            if clients.membershipChanged {
                clients.membershipChanged = false
                waiter.removeAll()
                slotOfEntry.removeAll(keepingCapacity: true)
                stopEntry = stopFileDescriptor.map { waiter.add($0, interest: .readable) } ?? -1
                listenEntry = waiter.add(listenSocket.fileDescriptor, interest: .readable)
                for (slot, client) in clients.slots.enumerated() {
                    guard let client else { continue }
                    waiter.add(client.socket.fileDescriptor, interest: .readable)
                    slotOfEntry.append(slot)
                }
            }
            var deadline = reports.earliest(link.nextReleaseTime)
            if clients.count > 0 { deadline = min(deadline ?? nextExpiryCheck, nextExpiryCheck) }
            deadline = impairmentSchedule?.earliest(deadline, start: startTime, now: now) ?? deadline

            guard try waiter.wait(until: deadline, spinningFor: busyPoll.spin(now: now)) > 0 else { continue }
            if stopEntry >= 0 && !waiter.events(at: stopEntry).isEmpty {
                if impairmentSchedule?.handleWakeUp(link: link, now: MonotonicClock.now(), start: startTime) == true { continue }
                break
            }
            busyPoll.noteActivity(now: MonotonicClock.now())
            if !waiter.events(at: listenEntry).isEmpty {
                drainClients()
            }
            let firstClientEntry = listenEntry + 1
            for (offset, slot) in slotOfEntry.enumerated() where !waiter.events(at: firstClientEntry + offset).isEmpty {
                // Clients are removed only at the top of the loop, so each polled slot still
                // holds the client that was polled.
                drainServer(slot: slot)
            }
        }
        return statistics(now: MonotonicClock.now(), isFinal: true)
    }

    // MARK: - Receiving

    /// Takes datagrams from clients into the forward pipeline, opening upstream sockets for new
    /// ones, and releases what is due after each batch.
    private func drainClients() {
        var now = MonotonicClock.now()
        let pipeline = link.forward
        do throws(SystemError) {
            try batch.receiveRuns(from: listenSocket, limit: Self.datagramsPerWakeUp, batchEnded: {
                releaseForward(now: now)
                now = MonotonicClock.now()
            }) { run, source in
                let tag: UInt64
                if let slot = clients.slot(of: source) ?? addClient(source, now: now) {
                    clients.touch(slot, now: now)
                    tag = clients.tag(ofSlot: slot)
                } else {
                    tag = Self.noClientTag
                }
                Self.submit(run, to: pipeline, tag: tag, now: now,
                            recording: capture.map { CaptureSite($0, $0.forward, from: source, to: localAddress) })
            }
        } catch {
            log.note("receive", "receiving from clients failed: \(error)")
        }
    }

    /// Takes the server's datagrams for the client in `slot` into the reverse pipeline, and
    /// releases what is due after each batch.
    private func drainServer(slot: Int) {
        guard clients.slots.indices.contains(slot), let client = clients.slots[slot] else { return }
        let tag = clients.tag(ofSlot: slot)
        var now = MonotonicClock.now()
        let pipeline = link.reverse
        do throws(SystemError) {
            try batch.receiveRuns(from: client.socket, limit: Self.datagramsPerWakeUp, batchEnded: {
                clients.touch(slot, now: now)
                releaseReverse(now: now)
                now = MonotonicClock.now()
            }) { run, source in
                Self.submit(run, to: pipeline, tag: tag, now: now,
                            recording: capture.map { CaptureSite($0, $0.reverse, from: source, to: client.socket.localAddress) })
            }
        } catch {
            noteServerError(error)
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

    private func addClient(_ address: SocketAddress, now: UInt64) -> Int? {
        var evicted = false
        while true {
            do {
                let socket = try UDPSocket(connectedTo: configuration.serverAddress)
                socket.setBufferSizes(send: configuration.socketBufferSize, receive: configuration.socketBufferSize)
                ReceiveSlots.allowCoalescing(on: socket)
                let slot = clients.add(address: address, listenFamily: listenSocket.family, socket: socket, now: now)
                log.write("new client \(address), forwarded to \(configuration.serverAddress) from \(socket.localAddress)")
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
        guard clients.count > 0, now > configuration.clientIdleTimeout else { return }
        for client in clients.removeClients(idleSince: now - configuration.clientIdleTimeout) {
            log.write("client \(client.address) expired after \(HumanFormat.duration(nanoseconds: configuration.clientIdleTimeout)) without traffic")
        }
    }

    // MARK: - Sending what the pipelines release

    private func releaseDue(now: UInt64) {
        releaseForward(now: now)
        releaseReverse(now: now)
    }

    private func releaseForward(now: UInt64) {
        var outcome = SendBatch.Outcome()
        link.forward.releaseDue(now: now) { bytes, tag in
            guard let slot = clients.slot(ofTag: tag) else {
                if tag == Self.noClientTag {
                    forwardCounters.sendFailed += 1
                } else {
                    forwardCounters.clientExpired += 1
                }
                return
            }
            let socket = clients.slots[slot].unsafelyUnwrapped.socket
            sendBatch.append(bytes, socket: socket, destination: nil, flow: slot, outcome: &outcome)
            if let capture {
                capture.recordRelease(capture.forward, bytes, addresses: (socket.localAddress, configuration.serverAddress), now: now)
            }
        }
        sendBatch.flush(into: &outcome)
        forwardCounters.sent += outcome.sent
        forwardCounters.sendFailed += outcome.failed
        if let error = outcome.firstError {
            noteServerError(error)
        } else if outcome.failed > 0 {
            log.note("forward-full", "datagrams to the server were dropped: the socket buffer is full")
        }
    }

    private func releaseReverse(now: UInt64) {
        var outcome = SendBatch.Outcome()
        link.reverse.releaseDue(now: now) { bytes, tag in
            guard let slot = clients.slot(ofTag: tag) else {
                reverseCounters.clientExpired += 1
                return
            }
            let client = clients.slots[slot].unsafelyUnwrapped
            sendBatch.append(bytes, socket: listenSocket, destination: client.replyAddress, flow: slot, outcome: &outcome)
            if let capture {
                capture.recordRelease(capture.reverse, bytes, addresses: (localAddress, client.address), now: now)
            }
        }
        sendBatch.flush(into: &outcome)
        reverseCounters.sent += outcome.sent
        reverseCounters.sendFailed += outcome.failed
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
