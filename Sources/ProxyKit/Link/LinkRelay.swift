import CLIKit
import Impairment
import SystemKit

/// The TUN link's data path: relays IP packets between two packet descriptors (the TUN devices
/// of namespaces A and B) through an `ImpairedLink`, forward = A → B, reverse = B → A.
///
/// One thread runs one poll loop (`run`) that sleeps until a device has packets, the next
/// packet the pipelines release, or the next statistics report; there is no fixed tick. Each
/// read is one packet; a device is drained at most `packetsPerWakeUp` packets at a time so the
/// other direction and the timers are never starved. One 64 KiB buffer serves every read and
/// the pipelines copy into pooled slots: nothing is allocated per packet.
///
/// Corruption is the engine's stage, confined to each packet's transport payload: every packet
/// is submitted with the offset where its payload begins (`TransportPayload`), so headers and
/// checksums stay as sent; the stages keep the engine's order (loss before corruption).
///
/// With `capture(to:source:)` every packet is written to a pcapng file as read and as written, each
/// with a comment saying what the engine did (`PacketCapture`), raw: they are IP packets already.
///
/// Any descriptor that delivers whole packets per read and write works, which is how the tests
/// drive it without privileges (datagram socket pairs).
///
/// Not thread-safe: `@unchecked Sendable` only so that it can be handed to the thread that runs it.
public final class LinkRelay: @unchecked Sendable {
    /// Packets read from one device per wake-up at most, before timers are looked at again.
    static let packetsPerWakeUp = 256
    /// Largest packet read: a TUN device's MTU can be raised up to 64 KiB.
    static let bufferSize = 65_536

    /// The pipelines of both directions, seeded from the run's seed.
    public let link: ImpairedLink
    private let forward: Direction
    private let reverse: Direction
    private let statisticsInterval: UInt64?
    private let buffer: UnsafeMutableRawBufferPointer
    private var startTime: UInt64 = 0
    /// `--pcap`: every packet before and after impairment; nil when no capture was asked.
    private var capture: PacketCapture?
    private var log = ThrottledLog()
    /// `--schedule`: impairments changing while relaying (set before `run`); nil for none.
    public var impairmentSchedule: ScheduledImpairments?
    /// `--rebind`: A's source ports move every interval (set before `run`); nil for never.
    private var rebinding: PortRebinding?

    /// Moves A's UDP and TCP source ports to new ones every `interval` nanoseconds from the start
    /// of `run`, as a NAT rebinding at A's side (see `PortRebinding`). Call before `run`.
    public func rebind(every interval: UInt64) {
        rebinding = PortRebinding(interval: interval)
    }

    /// One direction: where its packets come from and go, its pipeline and counters.
    private final class Direction {
        let name: String
        let source: Int32
        let sourceLabel: String
        let destination: Int32
        let pipeline: ImpairmentPipeline
        /// Whether the pipeline corrupts, so each packet's payload offset is worth finding.
        let corrupts: Bool
        var counters = RelayDirectionStatistics()
        /// Where this direction's packets are captured, if they are.
        var captureSite: CaptureSite?

        init(name: String, source: Int32, sourceLabel: String, destination: Int32, pipeline: ImpairmentPipeline) {
            self.name = name
            self.source = source
            self.sourceLabel = sourceLabel
            self.destination = destination
            self.pipeline = pipeline
            corrupts = pipeline.config.corrupt > 0
        }

        var statistics: RelayDirectionStatistics {
            var result = counters
            result.impairment = pipeline.stats
            return result
        }
    }

    /// A relay between `a` and `b` (descriptors, non-blocking, one packet per read/write).
    /// `labelA`/`labelB` name the sides in error messages (e.g. the namespaces).
    public init(a: Int32, b: Int32, labelA: String = "A", labelB: String = "B",
                forward forwardConfig: ImpairmentConfig, reverse reverseConfig: ImpairmentConfig, seed: UInt64,
                statisticsInterval: UInt64? = nil) {
        link = ImpairedLink(forward: forwardConfig, reverse: reverseConfig, seed: seed,
                            maxDatagramSize: Self.bufferSize)
        forward = Direction(name: "forward", source: a, sourceLabel: labelA, destination: b, pipeline: link.forward)
        reverse = Direction(name: "reverse", source: b, sourceLabel: labelB, destination: a, pipeline: link.reverse)
        self.statisticsInterval = statisticsInterval
        buffer = .allocate(byteCount: Self.bufferSize, alignment: 16)
    }

    deinit { buffer.deallocate() }

    /// Captures every packet, before and after impairment, into the pcapng file `path` from
    /// now on (see `PacketCapture`); `source` names the link in the file's interface
    /// descriptions. Throws if the file cannot be created.
    public func capture(to path: String, source: String) throws(SystemError) {
        let capture = try PacketCapture(path: path, source: source)
        capture.attach(to: link)
        forward.captureSite = CaptureSite(ipPacketsOf: capture, capture.forward)
        reverse.captureSite = CaptureSite(ipPacketsOf: capture, capture.reverse)
        self.capture = capture
    }

    /// Relays until `stopFileDescriptor` becomes readable (a `StopSwitch`, or the
    /// `SignalNotifier` pipe), then returns the final statistics. Packets still held by the
    /// pipelines at that moment are not delivered (the report counts them as held).
    ///
    /// - Parameters:
    ///   - onReport: called on this thread every `statisticsInterval` with cumulative counters.
    ///   - log: called with one line when writing to a device fails (each kind at most once per 10 s).
    /// - Throws: `LinkError` if a device stops working (its namespace was deleted, say) or
    ///   polling fails.
    public func run(
        stopWhenReadable stopFileDescriptor: Int32?,
        onReport: (LinkStatistics) -> Void = { _ in },
        log: @escaping (String) -> Void = { _ in }
    ) throws(LinkError) -> LinkStatistics {
        self.log.write = log
        capture?.log = log
        defer { capture?.finish() }
        startTime = MonotonicClock.now()
        var reports = ReportSchedule(every: statisticsInterval, from: startTime)
        var waiter = Poller(capacity: 3, precision: .nanoseconds)
        var busyPoll = BusyPoll()
        let stopEntry = stopFileDescriptor.map { waiter.add($0, interest: .readable) } ?? -1
        let forwardEntry = waiter.add(forward.source, interest: .readable)
        let reverseEntry = waiter.add(reverse.source, interest: .readable)

        while true {
            let now = MonotonicClock.now()
            impairmentSchedule?.applyDue(to: link, now: now, start: startTime)
            rebinding?.advance(elapsed: now - startTime)
            release(forward, now: now)
            release(reverse, now: now)
            if reports.isDue(now: now) { onReport(statistics(now: now, isFinal: false)) }
            var deadline = reports.earliest(link.nextReleaseTime)
            deadline = impairmentSchedule?.earliest(deadline, start: startTime, now: now) ?? deadline
            if let change = rebinding.map({ startTime + $0.nextChange }) { deadline = min(deadline ?? change, change) }
            let ready: Int
            do {
                ready = try waiter.wait(until: deadline, spinningFor: busyPoll.spin(now: now))
            } catch {
                throw LinkError("waiting for packets failed: \(error)")
            }
            guard ready > 0 else { continue }
            if stopEntry >= 0 && !waiter.events(at: stopEntry).isEmpty {
                if impairmentSchedule?.handleWakeUp(link: link, now: MonotonicClock.now(), start: startTime) == true { continue }
                break
            }
            busyPoll.noteActivity(now: MonotonicClock.now())
            if !waiter.events(at: forwardEntry).isEmpty { try drain(forward) }
            if !waiter.events(at: reverseEntry).isEmpty { try drain(reverse) }
        }
        return statistics(now: MonotonicClock.now(), isFinal: true)
    }

    /// The counters so far (between runs, or after one).
    public func statistics(now: UInt64, isFinal: Bool) -> LinkStatistics {
        var report = LinkStatistics()
        report.elapsed = now >= startTime ? now - startTime : 0
        report.isFinal = isFinal
        report.forward = forward.statistics
        report.reverse = reverse.statistics
        report.impairmentChanges = impairmentSchedule?.records
        if let rebinding {
            report.rebinds = rebinding.rebinds
            report.droppedForOldMappings = rebinding.droppedForOldMappings
        }
        return report
    }

    /// Reads the packets waiting on `direction`'s source into its pipeline, releasing what is
    /// due after each one, so an unimpaired packet crosses within one wake-up.
    private func drain(_ direction: Direction) throws(LinkError) {
        for _ in 0..<Self.packetsPerWakeUp {
            let count: Int
            do {
                guard let read = try Posix.read(direction.source, buffer) else { return }
                count = read
            } catch {
                throw LinkError(
                    "the link's device in \(direction.sourceLabel) stopped working (\(error)); "
                        + "was the namespace deleted or the device removed?")
            }
            // A TUN device never yields an empty packet: 0 means the other end is gone (a
            // socket pair in tests), and polling it again would spin.
            guard count > 0 else {
                throw LinkError("the link's device in \(direction.sourceLabel) was closed")
            }
            let now = MonotonicClock.now()
            if rebinding != nil {
                // The NAT sits at A's side: A's packets leave it rewritten, B's enter it.
                let writable = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<count])
                if direction === forward {
                    rebinding!.rewriteFromA(writable)
                } else if !rebinding!.rewriteFromB(writable) {
                    continue
                }
            }
            let packet = UnsafeRawBufferPointer(rebasing: buffer[0..<count])
            if direction.corrupts {
                direction.pipeline.submit(ipPacket: packet, now: now)
            } else {
                direction.pipeline.submit(packet, tag: 0, now: now)
            }
            direction.captureSite?.recordArrival(packet, now: now)
            release(direction, now: now)
        }
    }

    /// Writes every packet `direction`'s pipeline has due by `now` to its destination.
    private func release(_ direction: Direction, now: UInt64) {
        let destination = direction.destination
        var sent = 0
        var failed = 0
        var firstError: SystemError?
        let site = direction.captureSite
        direction.pipeline.releaseDue(now: now) { bytes, _ in
            site?.recordRelease(bytes, now: now)
            do throws(SystemError) {
                if try Posix.write(destination, bytes) != nil {
                    sent += 1
                } else {
                    failed += 1
                }
            } catch {
                failed += 1
                if firstError == nil { firstError = error }
            }
        }
        direction.counters.sent += sent
        direction.counters.sendFailed += failed
        if failed > 0 {
            let target = direction === forward ? reverse.sourceLabel : forward.sourceLabel
            if let error = firstError {
                log.note("\(direction.name)-\(error.errno)", "delivering packets into \(target) failed: \(error)")
            } else {
                log.note("\(direction.name)-full", "packets into \(target) were dropped: the device's queue is full")
            }
        }
    }
}
