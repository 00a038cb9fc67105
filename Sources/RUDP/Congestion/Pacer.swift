/// Spreads a sender's packets at its congestion controller's pacing rate: a token bucket that
/// fills at the rate and holds about a millisecond of it (at least two packets), so that the
/// driver can still hand the kernel small batches and sleep between them.
struct Pacer {
    private var tokens = 0.0
    private var lastRefill: UInt64?
    /// The burst one wake-up may send.
    static let burstInterval = 1_000_000.0

    /// When a packet of `bytes` may leave at `bytesPerSecond`; nil if now.
    mutating func delay(for bytes: Int, rate bytesPerSecond: Double, mss: Int, now: UInt64) -> UInt64? {
        let capacity = max(2.0 * Double(mss), bytesPerSecond * Self.burstInterval / 1e9)
        if let last = lastRefill {
            tokens = min(capacity, tokens + bytesPerSecond * Double(now &- last) / 1e9)
        } else {
            tokens = capacity
        }
        lastRefill = now
        let needed = Double(bytes)
        guard tokens < needed else { return nil }
        return now + UInt64(((needed - tokens) / bytesPerSecond * 1e9).rounded(.up))
    }

    /// A packet of `bytes` left.
    mutating func spend(_ bytes: Int) {
        tokens -= Double(bytes)
    }
}
