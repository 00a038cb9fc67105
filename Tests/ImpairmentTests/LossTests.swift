import Impairment
import Testing

@Suite struct LossTests {
    @Test(arguments: [UInt64(1), 2, 3])
    func bernoulliLossOfTwentyPercentDropsAboutTwoThousandOfTenThousand(seed: UInt64) {
        let pipeline = ImpairmentPipeline(config: config { $0.loss = 0.2 }, seed: seed)
        let deliveries = PipelineHarness(count: 10_000).run(pipeline)
        let dropped = 10_000 - deliveries.count
        #expect(isWithin(Double(dropped), of: 2000, sigma: binomialSigma(trials: 10_000, p: 0.2)))
        #expect(pipeline.stats.droppedLoss == dropped)
        #expect(pipeline.stats.dropped == dropped)
        #expect(pipeline.stats.received == 10_000)
        #expect(pipeline.stats.delivered == deliveries.count)
        // Loss alone neither delays nor reorders.
        #expect(deliveries.allSatisfy { $0.time == PipelineHarness(count: 1).submitTime(of: $0.index) })
        #expect(pipeline.stats.reordered == 0 && pipeline.stats.delayed == 0)
    }

    @Test func certainLossDropsEverything() {
        let all = ImpairmentPipeline(config: config { $0.loss = 1 }, seed: 1)
        #expect(PipelineHarness(count: 1000).run(all).isEmpty)
        #expect(all.stats.droppedLoss == 1000)
    }

    @Test(arguments: [UInt64(11), 12])
    func gilbertElliottAverageLossAndBurstLengthMatchTheFormulas(seed: UInt64) {
        let model = GilbertElliott(p: 0.05, r: 0.25)
        let n = 200_000
        let pipeline = ImpairmentPipeline(config: config { $0.burstLoss = model }, seed: seed)
        let lost = missingIndices(PipelineHarness(count: n, interval: 1000).run(pipeline), count: n)
        #expect(pipeline.stats.droppedBurstLoss == lost.count)

        // π_B = p/(p+r) = 1/6. Successive states are correlated (λ = 1 − p − r), which widens
        // the spread of the count by (1+λ)/(1−λ) over a binomial's.
        let pi = model.badStateProbability
        #expect(abs(pi - 1.0 / 6) < 1e-12)
        let lambda = 1 - model.p - model.r
        let sigma = (Double(n) * pi * (1 - pi) * (1 + lambda) / (1 - lambda)).squareRoot()
        #expect(isWithin(Double(lost.count), of: Double(n) * pi, sigma: sigma))

        // Bursts are runs of consecutive lost indices; their lengths are geometric with
        // mean 1/r = 4 and variance (1 − r)/r².
        var bursts = 0
        for (offset, index) in lost.enumerated() where offset == 0 || lost[offset - 1] != index - 1 {
            bursts += 1
        }
        let meanBurst = Double(lost.count) / Double(bursts)
        let burstSigma = ((1 - model.r) / (model.r * model.r) / Double(bursts)).squareRoot()
        #expect(isWithin(meanBurst, of: model.meanBadStateLength, sigma: burstSigma))
        #expect(abs(model.meanBadStateLength - 4) < 1e-12)
    }

    @Test func gilbertElliottFourParameterFormMatchesItsAverageLoss() {
        // Lossy good state and partially lossy bad state (netem gemodel p r 1-h 1-k).
        let model = GilbertElliott(p: 0.1, r: 0.3, lossInBad: 0.6, lossInGood: 0.02)
        let expected = 0.25 * 0.6 + 0.75 * 0.02
        #expect(abs(model.averageLoss - expected) < 1e-12)
        let n = 200_000
        let pipeline = ImpairmentPipeline(config: config { $0.burstLoss = model }, seed: 5)
        let delivered = PipelineHarness(count: n, interval: 1000).run(pipeline).count
        // Conservative bound: the state-correlation factor (1+λ)/(1−λ) = 3 applied to the
        // whole binomial variance over-covers the true spread.
        let sigma = (Double(n) * expected * (1 - expected) * 3).squareRoot()
        #expect(isWithin(Double(n - delivered), of: Double(n) * expected, sigma: sigma))
    }

    @Test func lossRateAndMeanBurstLengthConvertToTransitionProbabilities() throws {
        let model = try #require(GilbertElliott(lossRate: 0.1, meanBurstLength: 4))
        #expect(abs(model.r - 0.25) < 1e-12)
        #expect(abs(model.p - 0.1 / (4 * 0.9)) < 1e-12)
        #expect(abs(model.averageLoss - 0.1) < 1e-12)
        #expect(abs(model.meanBadStateLength - 4) < 1e-12)
        #expect(model.lossInBad == 1 && model.lossInGood == 0)
        #expect(GilbertElliott(lossRate: 0.9, meanBurstLength: 1) == nil)  // p would be 9
        #expect(GilbertElliott(lossRate: 0.1, meanBurstLength: 0.5) == nil)
        #expect(GilbertElliott(lossRate: 1, meanBurstLength: 4) == nil)
        #expect(GilbertElliott(lossRate: 0, meanBurstLength: 3)?.averageLoss == 0)
    }

    @Test func scriptedDropsDropExactlyTheListedIndices() {
        let drops: [ClosedRange<Int>] = [3...3, 7...7, 10...12]
        let pipeline = ImpairmentPipeline(config: config { $0.scriptedDrops = drops }, seed: 1)
        let deliveries = PipelineHarness(count: 20).run(pipeline)
        #expect(missingIndices(deliveries, count: 20) == [3, 7, 10, 11, 12])
        #expect(deliveries.map(\.index) == [1, 2, 4, 5, 6, 8, 9, 13, 14, 15, 16, 17, 18, 19, 20])
        #expect(pipeline.stats.droppedScripted == 5)
    }

    @Test func scriptedDropsAcceptUnsortedAndOverlappingRanges() {
        let drops: [ClosedRange<Int>] = [10...12, 3...3, 11...15, 7...7, 16...16, 100...200]
        let pipeline = ImpairmentPipeline(config: config { $0.scriptedDrops = drops }, seed: 1)
        let deliveries = PipelineHarness(count: 30).run(pipeline)
        #expect(missingIndices(deliveries, count: 30) == [3, 7, 10, 11, 12, 13, 14, 15, 16])
    }

    @Test func scriptedDropsCountIndicesPerPipelineNotPerLink() {
        let link = ImpairedLink(both: config { $0.scriptedDrops = [2...2] }, seed: 1)
        let forward = PipelineHarness(count: 3).run(link.forward)
        let reverse = PipelineHarness(count: 3).run(link.reverse)
        #expect(forward.map(\.index) == [1, 3])
        #expect(reverse.map(\.index) == [1, 3])
    }
}
