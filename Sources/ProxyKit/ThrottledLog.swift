import SystemKit

/// A relay's log: each kind of problem said at most once per 10 s, so a failing peer cannot flood stderr.
struct ThrottledLog {
    /// Where lines go, throttled or not (the command prefixes its name).
    var write: (String) -> Void = { _ in }
    private var lastTime: [String: UInt64] = [:]

    /// Writes `message` unless a problem of the same `kind` was written less than 10 s ago.
    mutating func note(_ kind: String, _ message: String) {
        let now = MonotonicClock.now()
        if let last = lastTime[kind], now - last < 10_000_000_000 { return }
        lastTime[kind] = now
        write(message)
    }
}
