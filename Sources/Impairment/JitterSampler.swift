#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Draws one direction's jitter samples (in ns) from its own seeded stream: independent, or
/// correlated from datagram to datagram through a Gaussian AR(1) process that keeps the
/// configured distribution exactly (see docs/IMPAIRMENTS.md, "Correlation").
struct JitterSampler {
    private let jitter: UInt64
    private let distribution: JitterDistribution
    /// ρ, the lag-1 correlation of the latent Gaussian; 0 draws independent samples.
    private let correlation: Double
    /// √(1 − ρ²): the innovation's weight, which keeps the latent's variance at 1.
    private let innovationWeight: Double
    private var random: SeededRandom
    /// The polar method yields normal deviates in pairs; the second waits here.
    private var spareNormal: Double?
    /// The latent Gaussian of the previous sample (correlated mode), nil before the first.
    private var latent: Double?

    init(jitter: UInt64, distribution: JitterDistribution, correlation: Double, random: SeededRandom) {
        self.jitter = jitter
        self.distribution = distribution
        self.correlation = correlation
        innovationWeight = (1 - correlation * correlation).squareRoot()
        self.random = random
    }

    /// The next signed jitter offset in ns.
    mutating func next() -> Int64 {
        correlation > 0 ? correlated() : independent()
    }

    /// The original draws, unchanged from before correlation existed (uniform and normal), so
    /// seeded runs without correlation give the same delays as ever.
    private mutating func independent() -> Int64 {
        switch distribution {
        case .uniform:
            return Int64(random.nextBelow(2 * jitter + 1)) - Int64(jitter)
        case .normal:
            return scaled(nextStandardNormal())
        case .pareto:
            return scaled(JitterShape.pareto(random.nextDouble()))
        case .paretonormal:
            return scaled(JitterShape.paretoNormal(openUnit(random.nextDouble())))
        }
    }

    /// z_n = ρ·z_{n−1} + √(1 − ρ²)·ε_n (z_1 = ε_1), each z standard normal; the sample is the
    /// distribution's quantile at Φ(z_n), or z_n itself for the normal.
    private mutating func correlated() -> Int64 {
        let innovation = nextStandardNormal()
        let z = latent.map { correlation * $0 + innovationWeight * innovation } ?? innovation
        latent = z
        if distribution == .normal { return scaled(z) }
        let u = openUnit(JitterShape.normalCDF(z))
        switch distribution {
        case .uniform:
            let width = 2 * jitter + 1
            return Int64(min(UInt64(u * Double(width)), width - 1)) - Int64(jitter)
        case .pareto:
            return scaled(JitterShape.pareto(u))
        case .normal, .paretonormal:
            return scaled(JitterShape.paretoNormal(u))
        }
    }

    private func scaled(_ standardSample: Double) -> Int64 {
        Int64((standardSample * Double(jitter)).rounded())
    }

    /// `u` moved into the open interval (0, 1), where every quantile function is finite.
    private func openUnit(_ u: Double) -> Double {
        min(max(u, 0x1.0p-54), 1 - 0x1.0p-53)
    }

    /// A standard normal deviate by Marsaglia's polar method.
    private mutating func nextStandardNormal() -> Double {
        if let spare = spareNormal {
            spareNormal = nil
            return spare
        }
        while true {
            let u = 2 * random.nextDouble() - 1
            let v = 2 * random.nextDouble() - 1
            let s = u * u + v * v
            if s > 0, s < 1 {
                let factor = (-2 * log(s) / s).squareRoot()
                spareNormal = v * factor
                return u * factor
            }
        }
    }
}
