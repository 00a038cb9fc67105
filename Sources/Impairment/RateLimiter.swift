/// A bottleneck link: datagrams are serialized one after another at a fixed bit rate, waiting
/// in a FIFO queue of limited length; a datagram arriving to a full queue is tail-dropped.
///
/// A datagram arriving at `now` starts serializing at max(now, previous departure) and departs
/// (its last bit leaves) after size × 8 / rate seconds. Departure times are kept exact: the
/// fraction of a nanosecond is carried to the next datagram, so k back-to-back datagrams of
/// S bytes depart at floor(k × S × 8 × 10⁹ / rate) ns after the first start.
/// A rate of 0 is an unlimited link: every datagram departs as it arrives, nothing queues.
struct RateLimiter: ~Copyable {
    private var bitsPerSecond: UInt64
    private var overheadBytes: Int
    private var queueLimit: Int
    /// Serialization start times of the datagrams that have not started yet, oldest first.
    private var waitingStarts = RingBuffer<UInt64>()
    /// When the last accepted datagram departs, in whole ns...
    private var lastDeparture: UInt64 = 0
    /// ...plus this many 1/bitsPerSecond of a ns.
    private var departureFraction: UInt64 = 0

    init(bitsPerSecond: UInt64, overheadBytes: Int, queueLimit: Int) {
        self.bitsPerSecond = bitsPerSecond
        self.overheadBytes = overheadBytes
        self.queueLimit = queueLimit
    }

    /// Takes a new rate, overhead and queue limit from now on. The datagrams already accepted
    /// keep their departures, and the next one starts after the last of them, so a change
    /// never lets a new datagram overtake a queued one (to an unlimited link it departs at
    /// once, though, as there is no bottleneck any more).
    mutating func reconfigure(bitsPerSecond: UInt64, overheadBytes: Int, queueLimit: Int) {
        if bitsPerSecond != self.bitsPerSecond { departureFraction = 0 }
        if bitsPerSecond == 0 { waitingStarts = RingBuffer<UInt64>() }
        self.bitsPerSecond = bitsPerSecond
        self.overheadBytes = overheadBytes
        self.queueLimit = queueLimit
    }

    /// Datagrams waiting for the link as of the last `advance(to:)` or `admit`.
    var waitingCount: Int { waitingStarts.count }

    /// Forgets the datagrams whose serialization has started by `now`.
    mutating func advance(to now: UInt64) {
        guard bitsPerSecond > 0 else { return }
        while let start = waitingStarts.first, start <= now {
            waitingStarts.removeFirst()
        }
    }

    /// The departure time of a datagram of `bytes` bytes arriving at `now`, or nil when the
    /// queue is full and it is tail-dropped.
    mutating func admit(bytes: Int, now: UInt64) -> UInt64? {
        guard bitsPerSecond > 0 else { return now }
        advance(to: now)
        let start: UInt64
        if now > lastDeparture {
            // The link went idle: a new busy period begins, with no fraction carried over.
            start = now
            departureFraction = 0
        } else {
            start = lastDeparture
        }
        if start > now {
            guard waitingStarts.count < queueLimit else { return nil }
            waitingStarts.append(start)
        }
        let bits = UInt64(bytes + overheadBytes) * 8
        let scaled = bits.multipliedFullWidth(by: 1_000_000_000)
        let (low, carry) = scaled.low.addingReportingOverflow(departureFraction)
        let (nanoseconds, fraction) = bitsPerSecond.dividingFullWidth(
            (high: scaled.high + (carry ? 1 : 0), low: low))
        lastDeparture = start + nanoseconds
        departureFraction = fraction
        return lastDeparture
    }
}
