import Impairment
import Testing

/// netem's `reorder P gap N` (`reorderPacketGap`): a picked datagram is sent at once, ahead of
/// the delayed ones, once N − 1 datagrams have taken the normal delay since the last one.
@Suite struct ReorderPacketGapTests {
    let delay: UInt64 = 10_000_000

    /// The submission indices of the datagrams released without the delay, in order.
    private func sentAhead(_ deliveries: [Delivery], _ harness: PipelineHarness) -> [Int] {
        deliveries.filter { $0.time - harness.submitTime(of: $0.index) < delay }.map(\.index).sorted()
    }

    @Test func withCertainReorderEveryNthDatagramGoesAheadOfTheDelayedOnes() {
        let harness = PipelineHarness(count: 1000, interval: 1_000_000)
        let pipeline = ImpairmentPipeline(
            config: config { $0.delay = delay; $0.reorder = 1; $0.reorderPacketGap = 5 }, seed: 1)
        let deliveries = harness.run(pipeline)
        #expect(deliveries.count == 1000)
        #expect(sentAhead(deliveries, harness) == Array(stride(from: 5, through: 1000, by: 5)))
        // Those went out on arrival: exactly 0 delay; the others exactly the delay.
        for delivery in deliveries {
            let waited = delivery.time - harness.submitTime(of: delivery.index)
            #expect(waited == (delivery.index % 5 == 0 ? 0 : delay))
        }
        #expect(pipeline.stats.heldBackForReorder == 200)
        // Each one sent ahead overtakes the 10 delayed datagrams sent in the 10 ms before it
        // (fewer for the first): those are released after a later one, so counted reordered.
        #expect(pipeline.stats.reordered > 0)
    }

    @Test func sentAheadDatagramsFollowNetemsRenewalLaw() {
        // After one is sent ahead, N − 1 go the normal way, then each is picked with
        // probability P: spacings are (N − 1) + Geometric(P), mean N − 1 + 1/P = 6 for
        // P = 25 %, N = 3, variance (1 − P)/P² = 12.
        let (p, gap, count) = (0.25, 3, 60_000)
        let harness = PipelineHarness(count: count, size: 16, interval: 100_000)
        let pipeline = ImpairmentPipeline(
            config: config { $0.delay = delay; $0.reorder = p; $0.reorderPacketGap = gap }, seed: 5)
        let ahead = sentAhead(harness.run(pipeline), harness)
        let spacings = zip(ahead, ahead.dropFirst()).map { $1 - $0 }
        #expect(spacings.min() == gap)
        let meanCycle = Double(gap - 1) + 1 / p
        let cycleVariance = (1 - p) / (p * p)
        // Renewal count in n trials: mean n/μ, variance n·σ²/μ³.
        #expect(isWithin(Double(ahead.count), of: Double(count) / meanCycle,
                         sigma: (Double(count) * cycleVariance / (meanCycle * meanCycle * meanCycle)).squareRoot()),
                "\(ahead.count) sent ahead")
        let meanSpacing = Double(spacings.reduce(0, +)) / Double(spacings.count)
        #expect(isWithin(meanSpacing, of: meanCycle, sigma: (cycleVariance / Double(spacings.count)).squareRoot()),
                "mean spacing \(meanSpacing)")
    }

    @Test func theTimeGapModeIsUnchangedWithoutAPacketGap() {
        let harness = PipelineHarness(count: 100, interval: 1_000_000)
        let pipeline = ImpairmentPipeline(config: config { $0.delay = delay; $0.reorder = 1 }, seed: 1)
        let deliveries = harness.run(pipeline)
        #expect(deliveries.allSatisfy { $0.time - harness.submitTime(of: $0.index) == delay + ImpairmentConfig.defaultReorderGap })
    }
}
