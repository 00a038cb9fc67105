/// How jitter spreads a datagram's delay around the configured mean delay.
///
/// Each jitter sample is `jitter` × X, X drawn from the distribution below (netem's shapes);
/// the delay is then `max(0, delay + sample)`. docs/IMPAIRMENTS.md gives the formulas.
public enum JitterDistribution: String, Sendable, Equatable, CaseIterable {
    /// Delay uniform over the integers of [delay − jitter, delay + jitter] ns, clamped at 0.
    case uniform
    /// Delay normal with mean `delay` and standard deviation `jitter`, rounded to the
    /// nanosecond and clamped at 0.
    case normal
    /// netem's pareto: X = (4/3)·(U^(−1/3) − 1.5), a Pareto of shape 3 shifted to mean 0, so
    /// delays reach down to delay − jitter·2/3 and have a long tail, capped at delay + 4·jitter.
    case pareto
    /// netem's paretonormal: X = ¼·Φ⁻¹(U) + ¾·(pareto's X), both taken at the same U.
    case paretonormal
}
