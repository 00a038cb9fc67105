import Impairment
import Testing

/// netem's `slot` (`DeliverySlots`): datagrams leave only at slot openings, in bursts bounded by
/// the slot's packet and byte budget; an idle link opens its next slot one interval after a
/// datagram becomes due.
@Suite struct SlotTests {
    let millisecond: UInt64 = 1_000_000

    /// Submits `count` datagrams of `size` bytes at `now` and returns each one's release time.
    private func burst(_ pipeline: ImpairmentPipeline, count: Int, size: Int, now: UInt64) -> [UInt64] {
        let datagram = [UInt8](repeating: 0, count: size)
        for tag in 0..<count { datagram.withUnsafeBytes { pipeline.submit($0, tag: UInt64(tag), now: now) } }
        var times: [UInt64] = []
        while let due = pipeline.nextReleaseTime {
            pipeline.releaseDue(now: due) { _, _ in times.append(due) }
        }
        return times
    }

    @Test func aBacklogLeavesInBurstsOfThePacketBudgetOneIntervalApart() {
        let pipeline = ImpairmentPipeline(config: config {
            $0.slots = DeliverySlots(minInterval: 10 * millisecond, maxInterval: 10 * millisecond, maxPackets: 3)
        }, seed: 1)
        let start: UInt64 = 5 * millisecond
        let times = burst(pipeline, count: 10, size: 100, now: start)
        // The idle link's first slot opens one interval after the datagrams became due.
        #expect(times == [10, 10, 10, 20, 20, 20, 30, 30, 30, 40].map { start + $0 * millisecond })
        #expect(pipeline.stats.delivered == 10 && pipeline.stats.heldNow == 0)
    }

    @Test func theByteBudgetLetsTheCrossingDatagramGo() {
        let pipeline = ImpairmentPipeline(config: config {
            $0.slots = DeliverySlots(minInterval: 4 * millisecond, maxInterval: 4 * millisecond, maxBytes: 2500)
        }, seed: 1)
        // 1000, 2000, 3000 bytes: the third crosses 2500 and still goes, then the slot closes.
        #expect(burst(pipeline, count: 7, size: 1000, now: 0) == [4, 4, 4, 8, 8, 8, 12].map { $0 * millisecond })
    }

    @Test func nothingLeavesBetweenSlotsAndNextReleaseTimeSaysWhen() {
        let pipeline = ImpairmentPipeline(config: config {
            $0.delay = 2 * millisecond
            $0.slots = DeliverySlots(minInterval: 10 * millisecond, maxInterval: 10 * millisecond)
        }, seed: 1)
        [UInt8](repeating: 1, count: 10).withUnsafeBytes { pipeline.submit($0, tag: 1, now: 0) }
        // Due at 2 ms, the link idle: it leaves at the slot opening 10 ms later.
        #expect(pipeline.nextReleaseTime == 12 * millisecond)
        var released: [UInt64] = []
        pipeline.releaseDue(now: 12 * millisecond - 1) { _, tag in released.append(tag) }
        #expect(released.isEmpty)
        // A second datagram due before that opening joins the same burst.
        [UInt8](repeating: 2, count: 10).withUnsafeBytes { pipeline.submit($0, tag: 2, now: 5 * millisecond) }
        #expect(pipeline.nextReleaseTime == 12 * millisecond)
        pipeline.releaseDue(now: 12 * millisecond) { _, tag in released.append(tag) }
        #expect(released == [1, 2])
    }

    @Test func sparseTrafficWaitsAUniformIntervalBetweenMinAndMax() {
        // Datagrams 50 ms apart always find the link idle: each waits one interval, uniform
        // over the integers of [5 ms, 15 ms]: mean 10 ms, standard deviation 10 ms/√12.
        let harness = PipelineHarness(count: 20_000, size: 16, interval: 50 * millisecond)
        let (low, high) = (5 * millisecond, 15 * millisecond)
        let pipeline = ImpairmentPipeline(
            config: config { $0.slots = DeliverySlots(minInterval: low, maxInterval: high) }, seed: 9)
        let waits = harness.run(pipeline).map { $0.time - harness.submitTime(of: $0.index) }
        #expect(waits.count == 20_000)
        #expect(waits.allSatisfy { $0 >= low && $0 <= high })
        let mean = Double(waits.reduce(0, +)) / Double(waits.count)
        let sigma = Double(high - low) / 12.0.squareRoot()
        #expect(isWithin(mean, of: Double(low + high) / 2, sigma: sigma / Double(waits.count).squareRoot()), "mean \(mean)")
        // Each tenth of the range holds a tenth of the waits.
        let bins = Dictionary(grouping: waits) { min(9, Int(($0 - low) * 10 / (high - low))) }.mapValues(\.count)
        for bin in 0..<10 {
            #expect(isWithin(Double(bins[bin] ?? 0), of: 2000, sigma: binomialSigma(trials: 20_000, p: 0.1)), "bin \(bin)")
        }
    }

    @Test func steadyTrafficIsBunchedIntoBurstsAtTheSlotTimes() {
        // One datagram per ms, slots 10 ms apart: the link sits idle for a moment after each
        // burst, so (as netem) every slot opens 10 ms after the first datagram that found it closed:
        // bursts of 11 datagrams every 11 ms, released together.
        let harness = PipelineHarness(count: 110, size: 16, interval: millisecond, start: 0)
        let pipeline = ImpairmentPipeline(config: config {
            $0.slots = DeliverySlots(minInterval: 10 * millisecond, maxInterval: 10 * millisecond)
        }, seed: 1)
        let deliveries = harness.run(pipeline)
        let bursts = Dictionary(grouping: deliveries, by: \.time)
        #expect(bursts.keys.sorted() == (1...10).map { UInt64($0) * 11 * millisecond - millisecond })
        #expect(bursts.values.allSatisfy { $0.count == 11 })
    }
}
