import Foundation
import Impairment
import Testing

/// netem's `loss P C` and `delay D J C`, as this engine models them (docs/IMPAIRMENTS.md,
/// "Correlation"): measured conditional loss rates and lag-1 correlations match the model.
@Suite struct CorrelationTests {
    /// Whether each datagram 1...count was lost.
    private func lossPattern(_ lossConfig: ImpairmentConfig, count: Int, seed: UInt64) -> [Bool] {
        let harness = PipelineHarness(count: count, size: 16, interval: 1_000)
        var lost = [Bool](repeating: false, count: count)
        for index in missingIndices(harness.run(ImpairmentPipeline(config: lossConfig, seed: seed)), count: count) {
            lost[index - 1] = true
        }
        return lost
    }

    /// Among the datagrams after one whose loss was `previous`, the fraction lost, and how many there were.
    private func conditionalLossRate(_ lost: [Bool], previous: Bool) -> (rate: Double, trials: Int) {
        let pairs = zip(lost, lost.dropFirst()).filter { $0.0 == previous }
        return (Double(pairs.filter(\.1).count) / Double(pairs.count), pairs.count)
    }

    @Test func correlatedLossKeepsTheRateAndLossesFollowLosses() {
        let (p, rho, count) = (0.1, 0.5, 200_000)
        let lost = lossPattern(config { $0.loss = p; $0.lossCorrelation = rho }, count: count, seed: 7)

        // The chain's stationary loss rate is p; successive decisions are correlated, which
        // widens the spread of the count by (1 + ρ)/(1 − ρ) over the binomial's.
        let rate = Double(lost.filter { $0 }.count) / Double(count)
        let rateSigma = (p * (1 - p) * (1 + rho) / (1 - rho) / Double(count)).squareRoot()
        #expect(isWithin(rate, of: p, sigma: rateSigma), "loss rate \(rate)")

        let afterLoss = conditionalLossRate(lost, previous: true)
        let expectedAfterLoss = p + rho * (1 - p)  // 0.55
        #expect(isWithin(afterLoss.rate, of: expectedAfterLoss,
                         sigma: binomialSigma(trials: afterLoss.trials, p: expectedAfterLoss) / Double(afterLoss.trials)),
                "P(loss | previous lost) = \(afterLoss.rate)")
        let afterKeep = conditionalLossRate(lost, previous: false)
        let expectedAfterKeep = p * (1 - rho)  // 0.05
        #expect(isWithin(afterKeep.rate, of: expectedAfterKeep,
                         sigma: binomialSigma(trials: afterKeep.trials, p: expectedAfterKeep) / Double(afterKeep.trials)),
                "P(loss | previous kept) = \(afterKeep.rate)")
    }

    @Test func uncorrelatedLossHasNoMemory() {
        let lost = lossPattern(config { $0.loss = 0.2 }, count: 100_000, seed: 8)
        let afterLoss = conditionalLossRate(lost, previous: true)
        #expect(isWithin(afterLoss.rate, of: 0.2,
                         sigma: binomialSigma(trials: afterLoss.trials, p: 0.2) / Double(afterLoss.trials)))
    }

    /// Each datagram's jitter sample (release time − submission − delay), by submission index.
    private func jitterSamples(_ delayConfig: ImpairmentConfig, count: Int, seed: UInt64) -> [Double] {
        let harness = PipelineHarness(count: count, size: 16, interval: 100_000)
        var samples = [Double](repeating: .nan, count: count)
        for delivery in harness.run(ImpairmentPipeline(config: delayConfig, seed: seed)) {
            samples[delivery.index - 1] =
                Double(delivery.time) - Double(harness.submitTime(of: delivery.index)) - Double(delayConfig.delay)
        }
        return samples
    }

    private func mean(_ values: [Double]) -> Double { values.reduce(0, +) / Double(values.count) }

    private func standardDeviation(_ values: [Double]) -> Double {
        let m = mean(values)
        return (values.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(values.count)).squareRoot()
    }

    /// The sample correlation of each value with the next.
    private func lagOneCorrelation(_ values: [Double]) -> Double {
        let m = mean(values)
        let products = zip(values, values.dropFirst()).reduce(0) { $0 + ($1.0 - m) * ($1.1 - m) }
        let squares = values.reduce(0) { $0 + ($1 - m) * ($1 - m) }
        return products / squares
    }

    /// Standard error of a lag-1 autocorrelation estimate around ρ (Bartlett: (1 − ρ²)/n).
    private func lagOneSigma(_ rho: Double, count: Int) -> Double {
        ((1 - rho * rho) / Double(count)).squareRoot()
    }

    @Test func correlatedNormalJitterIsAnAROneProcessWithTheConfiguredSpread() {
        let (rho, jitter, count) = (0.6, 5_000_000.0, 50_000)
        let samples = jitterSamples(config {
            $0.delay = 200_000_000; $0.jitter = UInt64(jitter); $0.jitterDistribution = .normal; $0.jitterCorrelation = rho
        }, count: count, seed: 11)
        #expect(!samples.contains { $0.isNaN })
        let measured = lagOneCorrelation(samples)
        #expect(isWithin(measured, of: rho, sigma: lagOneSigma(rho, count: count)), "lag-1 correlation \(measured)")
        // The marginal stays normal(0, jitter): relative standard error of the sample deviation
        // of an AR(1) series ≈ √((1 + ρ²) / (2n(1 − ρ²))).
        let spreadSigma = jitter * ((1 + rho * rho) / (2 * Double(count) * (1 - rho * rho))).squareRoot()
        #expect(isWithin(standardDeviation(samples), of: jitter, sigma: spreadSigma), "sd \(standardDeviation(samples))")
    }

    @Test func correlatedUniformJitterStaysUniformWithTheCopulasCorrelation() {
        let (rho, jitter, count) = (0.9, 4_000_000.0, 50_000)
        let samples = jitterSamples(config {
            $0.delay = 100_000_000; $0.jitter = UInt64(jitter); $0.jitterCorrelation = rho
        }, count: count, seed: 12)
        #expect(samples.allSatisfy { abs($0) <= jitter })
        // Φ of a Gaussian AR(1) of correlation ρ has Pearson correlation (6/π)·asin(ρ/2).
        let expected = 6 / Double.pi * asin(rho / 2)  // 0.892
        let measured = lagOneCorrelation(samples)
        #expect(isWithin(measured, of: expected, sigma: lagOneSigma(expected, count: count)), "lag-1 correlation \(measured)")
        // Uniform on [−J, J] has standard deviation J/√3 (netem's correlation would shrink it
        // to J/√3·√((1 − ρ)/(1 + ρ)), a quarter of that here). Loose bound: the sample deviation of
        // so strongly correlated a series varies by a few percent.
        let spread = standardDeviation(samples) / (jitter / 3.0.squareRoot())
        #expect(abs(spread - 1) < 0.05, "sd / (J/√3) = \(spread)")
    }

    @Test func uncorrelatedJitterHasNoLagOneCorrelation() {
        let count = 50_000
        let samples = jitterSamples(config { $0.delay = 100_000_000; $0.jitter = 4_000_000 }, count: count, seed: 13)
        #expect(isWithin(lagOneCorrelation(samples), of: 0, sigma: lagOneSigma(0, count: count)))
    }
}
