import Impairment
import Testing

@Suite struct DelayTests {
    let millisecond: UInt64 = 1_000_000

    /// Each delivery's time minus its submission time.
    func delays(_ deliveries: [Delivery], _ harness: PipelineHarness) -> [Int64] {
        deliveries.map { Int64($0.time) - Int64(harness.submitTime(of: $0.index)) }
    }

    func isInSubmissionOrder(_ deliveries: [Delivery]) -> Bool {
        zip(deliveries, deliveries.dropFirst()).allSatisfy { $0.index < $1.index }
    }

    @Test func withoutJitterEveryDatagramIsReleasedExactlyDelayLater() {
        let harness = PipelineHarness(count: 1000, interval: 100_000)
        let pipeline = ImpairmentPipeline(config: config { $0.delay = 10 * millisecond }, seed: 1)
        let deliveries = harness.run(pipeline)
        #expect(deliveries.count == 1000)
        #expect(delays(deliveries, harness).allSatisfy { $0 == Int64(10 * millisecond) })
        #expect(isInSubmissionOrder(deliveries))
        #expect(pipeline.stats.delayed == 1000 && pipeline.stats.reordered == 0)
    }

    @Test func nextReleaseTimeAnnouncesTheDueTimeAndNothingIsReleasedEarly() {
        let pipeline = ImpairmentPipeline(config: config { $0.delay = 5 * millisecond }, seed: 1)
        #expect(pipeline.nextReleaseTime == nil)
        [UInt8](repeating: 1, count: 10).withUnsafeBytes { pipeline.submit($0, tag: 9, now: 100) }
        #expect(pipeline.nextReleaseTime == 100 + 5 * millisecond)
        var released: [UInt64] = []
        pipeline.releaseDue(now: 100 + 5 * millisecond - 1) { _, tag in released.append(tag) }
        #expect(released.isEmpty)
        #expect(pipeline.stats.heldNow == 1)
        pipeline.releaseDue(now: 100 + 5 * millisecond) { _, tag in released.append(tag) }
        #expect(released == [9])
        #expect(pipeline.nextReleaseTime == nil && pipeline.stats.heldNow == 0)
    }

    @Test func uniformJitterStaysWithinBoundsAndCoversThem() {
        let harness = PipelineHarness(count: 20_000, interval: 200_000)
        let delay = Int64(20 * millisecond), jitter = Int64(5 * millisecond)
        let pipeline = ImpairmentPipeline(
            config: config { $0.delay = UInt64(delay); $0.jitter = UInt64(jitter) }, seed: 2)
        let observed = delays(harness.run(pipeline), harness)
        #expect(observed.count == 20_000)
        #expect(observed.allSatisfy { $0 >= delay - jitter && $0 <= delay + jitter })
        #expect(observed.min()! < delay - jitter * 99 / 100)
        #expect(observed.max()! > delay + jitter * 99 / 100)
        // Uniform over [d − j, d + j]: standard deviation j/√3 per sample.
        let mean = Double(observed.reduce(0, +)) / Double(observed.count)
        #expect(isWithin(mean, of: Double(delay), sigma: Double(jitter) / 3.0.squareRoot() / Double(observed.count).squareRoot()))
        // Jitter wider than the spacing reorders (allowed by default).
        #expect(pipeline.stats.reordered > 0)
    }

    @Test func uniformJitterLargerThanTheDelayIsClampedAtZero() {
        let harness = PipelineHarness(count: 30_000, interval: 10_000)
        let pipeline = ImpairmentPipeline(
            config: config { $0.delay = 1 * millisecond; $0.jitter = 3 * millisecond }, seed: 3)
        let observed = delays(harness.run(pipeline), harness)
        #expect(observed.allSatisfy { $0 >= 0 && $0 <= Int64(4 * millisecond) })
        // Samples in [−2 ms, 0] of [−2 ms, 4 ms] clamp to 0: about one third of them.
        let zeros = observed.filter { $0 == 0 }.count
        let p = Double(2 * millisecond + 1) / Double(6 * millisecond + 1)
        #expect(isWithin(Double(zeros), of: p * 30_000, sigma: binomialSigma(trials: 30_000, p: p)))
    }

    @Test func normalJitterHasTheConfiguredMeanAndStandardDeviation() {
        let harness = PipelineHarness(count: 40_000, interval: 100_000)
        let delay = 50.0 * 1e6, sigma = 4.0 * 1e6
        let pipeline = ImpairmentPipeline(
            config: config {
                $0.delay = UInt64(delay); $0.jitter = UInt64(sigma); $0.jitterDistribution = .normal
            }, seed: 4)
        let observed = delays(harness.run(pipeline), harness).map(Double.init)
        let n = Double(observed.count)
        let mean = observed.reduce(0, +) / n
        let sd = (observed.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (n - 1)).squareRoot()
        #expect(isWithin(mean, of: delay, sigma: sigma / n.squareRoot()))
        // The sample standard deviation of a normal has standard error σ/√(2(n−1)).
        #expect(isWithin(sd, of: sigma, sigma: sigma / (2 * (n - 1)).squareRoot()))
        // Beyond 3σ: about 0.27% of samples, and not bounded like the uniform.
        let beyond = observed.filter { abs($0 - delay) > 3 * sigma }.count
        #expect(isWithin(Double(beyond), of: 0.0027 * n, sigma: binomialSigma(trials: observed.count, p: 0.0027)))
    }

    @Test func normalJitterIsClampedAtZero() {
        let harness = PipelineHarness(count: 5000, interval: 10_000)
        let pipeline = ImpairmentPipeline(
            config: config { $0.delay = 1 * millisecond; $0.jitter = 2 * millisecond; $0.jitterDistribution = .normal },
            seed: 5)
        let observed = delays(harness.run(pipeline), harness)
        #expect(observed.allSatisfy { $0 >= 0 })
        #expect(observed.contains(0))
    }

    @Test func withoutReorderingByJitterNothingIsReordered() {
        let harness = PipelineHarness(count: 20_000, interval: 100_000)
        let pipeline = ImpairmentPipeline(
            config: config {
                $0.delay = 10 * millisecond; $0.jitter = 5 * millisecond; $0.reorderByJitter = false
            }, seed: 6)
        let deliveries = harness.run(pipeline)
        #expect(deliveries.count == 20_000)
        #expect(isInSubmissionOrder(deliveries))
        #expect(pipeline.stats.reordered == 0)
        // Held back behind earlier ones, never sped up: at least delay − jitter, and since
        // release times only grow, jitter still shows.
        let observed = delays(deliveries, harness)
        #expect(observed.allSatisfy { $0 >= Int64(5 * millisecond) })
        #expect(Set(observed).count > 1000)
    }

    @Test func reorderHoldsChosenDatagramsBackByTheGapAndLaterOnesOvertakeThem() {
        let gap = 10 * millisecond, delay = 2 * millisecond
        let harness = PipelineHarness(count: 10_000, interval: millisecond)
        let pipeline = ImpairmentPipeline(
            config: config { $0.delay = delay; $0.reorder = 0.3; $0.reorderGap = gap }, seed: 7)
        let deliveries = harness.run(pipeline)
        #expect(deliveries.count == 10_000)
        var heldBack = [Bool](repeating: false, count: 10_001)
        for delivery in deliveries {
            let observed = delivery.time - harness.submitTime(of: delivery.index)
            #expect(observed == delay || observed == delay + gap)
            heldBack[delivery.index] = observed == delay + gap
        }
        let heldCount = heldBack.filter { $0 }.count
        #expect(heldCount == pipeline.stats.heldBackForReorder)
        #expect(isWithin(Double(heldCount), of: 3000, sigma: binomialSigma(trials: 10_000, p: 0.3)))

        // Every datagram sent within the gap after a held one, and not held itself, overtakes it.
        var position = [Int](repeating: 0, count: 10_001)
        for (offset, delivery) in deliveries.enumerated() { position[delivery.index] = offset }
        var expectedReordered = 0
        for i in 1...10_000 where heldBack[i] {
            let overtakers = (i + 1..<min(i + 10, 10_001)).filter { !heldBack[$0] }
            for j in overtakers { #expect(position[j] < position[i]) }
            if !overtakers.isEmpty { expectedReordered += 1 }
        }
        #expect(pipeline.stats.reordered == expectedReordered)
        #expect(expectedReordered > 2000)
    }

    @Test func reorderNeedsNoDelay() {
        let gap = 3 * millisecond
        let harness = PipelineHarness(count: 10, interval: millisecond)
        let pipeline = ImpairmentPipeline(config: config { $0.reorder = 1; $0.reorderGap = gap }, seed: 1)
        let deliveries = harness.run(pipeline)
        // Everything held back by the same gap: all shifted, none overtaken.
        #expect(delays(deliveries, harness).allSatisfy { $0 == Int64(gap) })
        #expect(isInSubmissionOrder(deliveries))
        #expect(pipeline.stats.heldBackForReorder == 10 && pipeline.stats.reordered == 0)
    }

    @Test func theDefaultReorderGapIsTenMilliseconds() {
        #expect(ImpairmentConfig().reorderGap == 10 * millisecond)
        let harness = PipelineHarness(count: 1)
        let pipeline = ImpairmentPipeline(config: config { $0.reorder = 1 }, seed: 1)
        #expect(delays(harness.run(pipeline), harness) == [Int64(10 * millisecond)])
    }

    @Test func equalDueTimesAreReleasedInSubmissionOrder() {
        // All submitted at one instant with the same delay: one due time, ties broken by order.
        let pipeline = ImpairmentPipeline(config: config { $0.delay = millisecond; $0.duplicate = 0.5 }, seed: 9)
        for tag in 1...500 {
            [UInt8(1)].withUnsafeBytes { pipeline.submit($0, tag: UInt64(tag), now: 0) }
        }
        var tags: [UInt64] = []
        pipeline.releaseDue(now: millisecond) { _, tag in tags.append(tag) }
        #expect(tags.count == 500 + pipeline.stats.duplicated)
        #expect(zip(tags, tags.dropFirst()).allSatisfy { $0 <= $1 })
    }
}

/// A long delay under a flood holds a bounded amount of memory: beyond `holdLimitBytes`
/// datagrams are dropped and counted, as netem's `limit` drops them.
@Suite struct HoldLimitTests {
    @Test func aFloodIntoATwentySecondDelayHoldsAtMostTheLimit() {
        let pipeline = ImpairmentPipeline(config: config { $0.delay = 20_000_000_000 }, seed: 1)
        let datagram = [UInt8](repeating: 7, count: 60_000)
        for index in 0..<3_000 {
            datagram.withUnsafeBytes { pipeline.submit($0, tag: UInt64(index), now: UInt64(index) * 1_000) }
        }
        let stats = pipeline.stats
        let fits = ImpairmentConfig.defaultHoldLimitBytes / 60_000
        #expect(stats.heldNow == fits, "\(stats)")
        #expect(stats.droppedHoldLimit == 3_000 - fits)
        #expect(stats.dropped == stats.droppedHoldLimit)
        #expect(pipeline.pooledSlotCount <= fits + 64, "buffers are not kept for the dropped ones")
        // Once the first ones are released there is room again.
        var released = 0
        pipeline.releaseDue(now: 20_000_000_000 + 10_000) { _, _ in released += 1 }
        #expect(released == 11)
        datagram.withUnsafeBytes { pipeline.submit($0, tag: 0, now: 20_000_000_000 + 10_000) }
        #expect(pipeline.stats.droppedHoldLimit == 3_000 - fits)
    }

    @Test func aSmallerLimitCountsDuplicatesToo() {
        let pipeline = ImpairmentPipeline(config: config {
            $0.delay = 1_000_000_000
            $0.duplicate = 1
            $0.holdLimitBytes = 10_000
        }, seed: 3)
        for index in 0..<10 {
            [UInt8](repeating: 1, count: 1_000).withUnsafeBytes { pipeline.submit($0, tag: UInt64(index), now: 0) }
        }
        let stats = pipeline.stats
        #expect(stats.heldNow == 10 && stats.droppedHoldLimit == 10, "\(stats)")
        #expect(stats.received + stats.duplicated == stats.delivered + stats.dropped + stats.heldNow)
    }
}
