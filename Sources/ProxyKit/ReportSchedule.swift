/// When a relay's poll loop owes its next periodic statistics report (none without an interval).
struct ReportSchedule {
    private let interval: UInt64?
    /// When the next report is due, in `MonotonicClock` nanoseconds; nil without an interval.
    private(set) var next: UInt64?

    /// Reports every `interval` nanoseconds after `start`, or never when `interval` is nil.
    init(every interval: UInt64?, from start: UInt64) {
        self.interval = interval
        next = interval.map { start + $0 }
    }

    /// Whether a report is due at `now`; if so the next one is scheduled one interval later,
    /// or one interval from `now` when the loop fell so far behind that it has passed too.
    mutating func isDue(now: UInt64) -> Bool {
        guard let due = next, now >= due, let interval else { return false }
        next = due + interval > now ? due + interval : now + interval
        return true
    }

    /// `deadline` or the next report, whichever comes first: how long the loop may sleep.
    func earliest(_ deadline: UInt64?) -> UInt64? {
        guard let due = next else { return deadline }
        return min(deadline ?? due, due)
    }
}
