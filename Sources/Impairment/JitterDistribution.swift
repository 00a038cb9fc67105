/// How jitter spreads a datagram's delay around the configured mean delay.
public enum JitterDistribution: String, Sendable, Equatable, CaseIterable {
    /// Delay uniform over the integers of [delay − jitter, delay + jitter] ns, clamped at 0.
    case uniform
    /// Delay normal with mean `delay` and standard deviation `jitter`, rounded to the
    /// nanosecond and clamped at 0.
    case normal
}
