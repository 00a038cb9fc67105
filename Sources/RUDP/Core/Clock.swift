/// Conversions between the core's nanosecond clock and the microsecond timestamps on the wire.
enum WireClock {
    /// The wire timestamp for `now`: microseconds mod 2^32, never 0 (0 means "no timestamp").
    @inlinable static func timestamp(_ now: UInt64) -> UInt32 {
        let micros = UInt32(truncatingIfNeeded: now / 1_000)
        return micros == 0 ? 1 : micros
    }

    /// The round-trip time an echoed timestamp shows, or nil if there is none or it is implausible
    /// (from the future, or older than half the wrap: about 35 minutes).
    @inlinable static func roundTrip(echo: UInt32, now: UInt64) -> UInt64? {
        guard echo != 0 else { return nil }
        let elapsed = timestamp(now) &- echo
        guard elapsed < 1 << 31 else { return nil }
        return UInt64(elapsed) * 1_000
    }
}
