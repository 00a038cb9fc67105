#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Readiness conditions of a descriptor, as `poll(2)` names them.
public struct PollEvents: OptionSet, Hashable, Sendable {
    public let rawValue: Int16
    public init(rawValue: Int16) { self.rawValue = rawValue }

    /// Data (or a datagram, or a pending connection, or end of stream) can be read.
    public static let readable = PollEvents(rawValue: Int16(POLLIN))
    /// Data can be written without blocking.
    public static let writable = PollEvents(rawValue: Int16(POLLOUT))
    /// An error is pending (read it with the next call, or `SO_ERROR`). Reported even if not asked for.
    public static let error = PollEvents(rawValue: Int16(POLLERR))
    /// The peer hung up. Reported even if not asked for.
    public static let hangup = PollEvents(rawValue: Int16(POLLHUP))
    /// The descriptor is not open. Reported even if not asked for.
    public static let invalid = PollEvents(rawValue: Int16(POLLNVAL))
}

/// `poll(2)` over a small, reusable list of descriptors, sleeping until an absolute
/// monotonic deadline. After the first few calls it does not allocate.
public struct Poller: Sendable {
    /// How closely `wait` keeps a deadline.
    public enum Precision: Sendable {
        /// `poll`'s whole milliseconds, rounded up: a wake-up may come up to 1 ms late.
        case milliseconds
        /// `ppoll`'s nanoseconds where the system has it (Linux), so that a datagram delayed
        /// by 20 ms is released at 20 ms, not at the next whole millisecond; elsewhere milliseconds.
        case nanoseconds
    }

    private var entries: [pollfd]
    private let precise: Bool

    /// An empty set with room for `capacity` descriptors before it grows, waiting with `precision`.
    public init(capacity: Int = 8, precision: Precision = .milliseconds) {
        entries = []
        entries.reserveCapacity(capacity)
        precise = precision == .nanoseconds && Posix.hasPrecisePoll
    }

    /// How many descriptors are registered.
    public var count: Int { entries.count }

    /// Forgets every descriptor, keeping the storage for the next round.
    public mutating func removeAll() {
        entries.removeAll(keepingCapacity: true)
    }

    /// Registers `fd` with what to wait for; returns its index for `events(at:)`.
    /// A negative descriptor is skipped by `poll`, which parks an entry without removing it.
    @discardableResult
    public mutating func add(_ fd: Int32, interest: PollEvents) -> Int {
        entries.append(pollfd(fd: fd, events: interest.rawValue, revents: 0))
        return entries.count - 1
    }

    /// Changes what the descriptor at `index` waits for.
    public mutating func setInterest(_ interest: PollEvents, at index: Int) {
        entries[index].events = interest.rawValue
    }

    /// The descriptor registered at `index`.
    public func fileDescriptor(at index: Int) -> Int32 {
        entries[index].fd
    }

    /// What the last `wait` found for the descriptor at `index` (empty if nothing).
    public func events(at index: Int) -> PollEvents {
        PollEvents(rawValue: entries[index].revents)
    }

    /// Sleeps until a descriptor is ready or `deadline` (monotonic ns, see `MonotonicClock`)
    /// passes; nil waits without limit. Returns how many descriptors have events (0 = deadline).
    /// Signals do not cut the wait short: the timeout is recomputed from the deadline.
    public mutating func wait(until deadline: UInt64?) throws(SystemError) -> Int {
        if precise { return try waitPrecisely(until: deadline) }
        return try Poller.untilDeadline(deadline) { (timeout) throws(SystemError) in try pollOnce(timeoutMilliseconds: timeout) }
    }

    /// As `wait(until:)`, but first re-polls without sleeping for up to `spin` nanoseconds (see
    /// `BusyPoll.spin(for:until:_:)`).
    public mutating func wait(until deadline: UInt64?, spinningFor spin: UInt64) throws(SystemError) -> Int {
        let ready = try BusyPoll.spin(for: spin, until: deadline) { () throws(SystemError) -> Int in
            try pollOnce(timeoutMilliseconds: 0) ?? 0
        }
        if let ready { return ready }
        return try wait(until: deadline)
    }

    /// As `wait(until:spinningFor:)`, but while no descriptor is ready it first calls `idleWork`
    /// (a short piece of deferred work, returning false when none is left) between polls that
    /// do not sleep: the loop's own thread does that work in the time it would wait anyway.
    public mutating func wait(until deadline: UInt64?, spinningFor spin: UInt64,
                              idleWork: () -> Bool) throws(SystemError) -> Int {
        while idleWork() {
            let ready = try pollOnce(timeoutMilliseconds: 0) ?? 0
            if ready > 0 { return ready }
            if let deadline, MonotonicClock.now() >= deadline { return 0 }
        }
        return try wait(until: deadline, spinningFor: spin)
    }

    /// Waits on a single descriptor without a `Poller` (and without allocating); returns
    /// its events, empty when `deadline` passed first.
    public static func wait(for fd: Int32, interest: PollEvents, until deadline: UInt64?) throws(SystemError) -> PollEvents {
        var entry = pollfd(fd: fd, events: interest.rawValue, revents: 0)
        let ready = try untilDeadline(deadline) { (timeout) throws(SystemError) in
            entry.revents = 0
            return try Posix.poll(&entry, count: 1, timeoutMilliseconds: timeout)
        }
        return ready > 0 ? PollEvents(rawValue: entry.revents) : []
    }

    /// Repeats `pollOnce` (nil = interrupted) with a timeout recomputed from `deadline`
    /// until it reports events or the deadline has really passed.
    private static func untilDeadline(
        _ deadline: UInt64?, _ pollOnce: (Int32) throws(SystemError) -> Int?
    ) throws(SystemError) -> Int {
        while true {
            let timeout = timeoutMilliseconds(until: deadline, now: MonotonicClock.now())
            guard let ready = try pollOnce(timeout) else { continue }
            // Zero means "deadline passed" to callers; only a timeout clamped to Int32.max can end sooner.
            if ready == 0, let deadline, MonotonicClock.now() < deadline { continue }
            return ready
        }
    }

    /// `wait(until:)` with `ppoll`, its timeout the exact time left before `deadline`.
    private mutating func waitPrecisely(until deadline: UInt64?) throws(SystemError) -> Int {
        while true {
            let now = MonotonicClock.now()
            let remaining = deadline.map { $0 > now ? $0 - now : 0 }
            let result: Int?
            if entries.isEmpty {
                var unused = pollfd()
                result = try Posix.ppoll(&unused, count: 0, timeoutNanoseconds: remaining)
            } else {
                result = try entries.withUnsafeMutableBufferPointer { (buffer) throws(SystemError) -> Int? in
                    for index in buffer.indices { buffer[index].revents = 0 }
                    return try Posix.ppoll(buffer.baseAddress!, count: buffer.count, timeoutNanoseconds: remaining)
                }
            }
            guard let ready = result else { continue }
            if ready == 0, let deadline, MonotonicClock.now() < deadline { continue }
            return ready
        }
    }

    private mutating func pollOnce(timeoutMilliseconds timeout: Int32) throws(SystemError) -> Int? {
        if entries.isEmpty {
            var unused = pollfd()
            return try Posix.poll(&unused, count: 0, timeoutMilliseconds: timeout)
        }
        return try entries.withUnsafeMutableBufferPointer { (buffer) throws(SystemError) -> Int? in
            for index in buffer.indices { buffer[index].revents = 0 }
            return try Posix.poll(buffer.baseAddress!, count: buffer.count, timeoutMilliseconds: timeout)
        }
    }

    /// The `poll` timeout for a deadline: -1 (forever) for nil, 0 once it has passed, else the
    /// remaining time rounded UP to whole milliseconds, so that a wake-up is never early
    /// (an early wake-up would find nothing due and spin).
    public static func timeoutMilliseconds(until deadline: UInt64?, now: UInt64) -> Int32 {
        guard let deadline else { return -1 }
        guard deadline > now else { return 0 }
        let milliseconds = (deadline - now + 999_999) / 1_000_000
        return Int32(clamping: milliseconds)
    }
}
