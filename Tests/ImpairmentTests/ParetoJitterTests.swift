import Foundation
import Impairment
import Testing

/// netem's pareto and paretonormal jitter: measured quantiles, tail cap and mean match the
/// formulas in docs/IMPAIRMENTS.md.
@Suite struct ParetoJitterTests {
    let count = 50_000
    let jitter = 4_000_000.0

    /// Each datagram's jitter sample divided by the jitter: the standard shape X.
    private func standardSamples(_ distribution: JitterDistribution, seed: UInt64) -> [Double] {
        let delay: UInt64 = 50_000_000
        let harness = PipelineHarness(count: count, size: 16, interval: 100_000)
        let pipeline = ImpairmentPipeline(
            config: config { $0.delay = delay; $0.jitter = UInt64(jitter); $0.jitterDistribution = distribution }, seed: seed)
        return harness.run(pipeline).map {
            (Double($0.time) - Double(harness.submitTime(of: $0.index)) - Double(delay)) / jitter
        }
    }

    /// pareto's quantile function: (4/3)·((1 − u)^(−1/3) − 1.5).
    private func paretoQuantile(_ u: Double) -> Double { 4.0 / 3.0 * (pow(1 - u, -1.0 / 3.0) - 1.5) }

    /// Checks that a fraction u of the samples lies at or below `quantile(u)`, within 4 binomial σ.
    private func expectQuantiles(_ samples: [Double], _ quantile: (Double) -> Double) {
        for u in [0.05, 0.25, 0.5, 0.75, 0.9, 0.98] {
            let below = Double(samples.filter { $0 <= quantile(u) }.count) / Double(samples.count)
            #expect(isWithin(below, of: u, sigma: (u * (1 - u) / Double(samples.count)).squareRoot()),
                    "P(X ≤ Q(\(u))) = \(below)")
        }
    }

    @Test func paretoHasNetemsQuantilesFloorAndCap() {
        let samples = standardSamples(.pareto, seed: 21)
        #expect(samples.count == count)
        expectQuantiles(samples, paretoQuantile)
        // The floor is −2/3 (u = 0); the tail beyond 4 is cut there: P = 4.5⁻³ ≈ 1.1 %.
        let resolution = 1 / jitter
        #expect(samples.min()! >= -2.0 / 3.0 - resolution)
        #expect(samples.max()! <= 4 + resolution)
        let capped = samples.filter { $0 >= 4 - resolution }.count
        #expect(isWithin(Double(capped), of: Double(count) * pow(4.5, -3), sigma: binomialSigma(trials: count, p: pow(4.5, -3))))
        // Mean 0 uncapped; the cap removes (4/3)·E[(V − 4.5)⁺] = (4/3)·4.5⁻²/2 ≈ 0.0329. Variance ≤ 4/3.
        let mean = samples.reduce(0, +) / Double(count)
        #expect(isWithin(mean, of: -(4.0 / 3.0) * pow(4.5, -2) / 2, sigma: (4.0 / 3.0 / Double(count)).squareRoot()),
                "mean \(mean)")
    }

    @Test func paretonormalIsAQuarterNormalAndThreeQuartersParetoAtTheSameQuantile() {
        let samples = standardSamples(.paretonormal, seed: 22)
        #expect(samples.count == count)
        // Φ⁻¹ by bisection on erfc, independent of the engine's own approximation.
        func normalQuantile(_ u: Double) -> Double {
            var (low, high) = (-10.0, 10.0)
            for _ in 0..<100 {
                let middle = (low + high) / 2
                if 0.5 * erfc(-middle / 2.0.squareRoot()) < u { low = middle } else { high = middle }
            }
            return (low + high) / 2
        }
        expectQuantiles(samples) { 0.25 * normalQuantile($0) + 0.75 * paretoQuantile($0) }
        let mean = samples.reduce(0, +) / Double(count)
        #expect(isWithin(mean, of: -0.75 * (4.0 / 3.0) * pow(4.5, -2) / 2, sigma: (1.0 / Double(count)).squareRoot()),
                "mean \(mean)")
    }
}
