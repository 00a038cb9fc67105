#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How long a poll loop keeps checking its descriptors before it sleeps, given how recently a
/// datagram arrived.
///
/// Sleeping in `poll` costs a wake-up on every datagram: tens of microseconds where an idle CPU
/// halts (virtual machines above all), which is more than a loopback round trip takes. While
/// datagrams keep arriving (the previous one came less than `activityWindow` ago) the loop
/// re-polls without sleeping for up to `budget` first, as SO_BUSY_POLL does for NIC queues;
/// once traffic pauses it sleeps at once, so an idle or slow transfer costs no CPU.
public struct BusyPoll: Sendable {
    /// The longest spin before sleeping, in nanoseconds (0 never spins).
    public var budget: UInt64
    /// How recent the last datagram must be for a spin to be worth it.
    public var activityWindow: UInt64
    private var lastActivity: UInt64?

    /// The default spins up to 50 µs while datagrams arrived within the last 2 ms; the
    /// environment variable RUDP_BUSY_POLL_US overrides the budget (0 turns spinning off).
    public init(budget: UInt64 = BusyPoll.defaultBudget, activityWindow: UInt64 = 2_000_000) {
        self.budget = budget
        self.activityWindow = activityWindow
    }

    /// 50 µs, or RUDP_BUSY_POLL_US microseconds when that is set to a number.
    public static var defaultBudget: UInt64 {
        if let text = getenv("RUDP_BUSY_POLL_US").map({ String(cString: $0) }), let microseconds = UInt64(text) {
            return microseconds * 1_000
        }
        return 50_000
    }

    /// Records that a datagram (or other work) arrived at `now`.
    public mutating func noteActivity(now: UInt64) {
        lastActivity = now
    }

    /// How long to spin before sleeping, at `now`.
    public func spin(now: UInt64) -> UInt64 {
        guard budget > 0, let lastActivity, now &- lastActivity < activityWindow else { return 0 }
        return budget
    }

    /// Calls `pollNow` (a poll with a zero timeout, returning how many descriptors are ready)
    /// until something is ready or `spin` nanoseconds have passed (never past `deadline`),
    /// yielding the CPU between calls to anything else runnable on it. Returns the ready count,
    /// or nil when the spin found nothing and the caller should sleep.
    public static func spin<Failure: Error>(
        for spin: UInt64, until deadline: UInt64?, _ pollNow: () throws(Failure) -> Int
    ) throws(Failure) -> Int? {
        guard spin > 0 else { return nil }
        let spinEnd = min(MonotonicClock.now() &+ spin, deadline ?? .max)
        repeat {
            let ready = try pollNow()
            if ready > 0 { return ready }
            sched_yield()
        } while MonotonicClock.now() < spinEnd
        return nil
    }
}
