import Impairment
import Testing

@Suite struct RateLimiterTests {
    /// Submits `count` datagrams of `size` bytes at `now` and returns the pipeline.
    func burst(_ pipeline: ImpairmentPipeline, count: Int, size: Int, now: UInt64, firstTag: Int = 1) {
        let bytes = [UInt8](repeating: 0xab, count: size)
        for tag in firstTag..<firstTag + count {
            bytes.withUnsafeBytes { pipeline.submit($0, tag: UInt64(tag), now: now) }
        }
    }

    /// Releases everything, at each due time, returning (tag, time) pairs.
    func drain(_ pipeline: ImpairmentPipeline) -> [(tag: Int, time: UInt64)] {
        var out: [(tag: Int, time: UInt64)] = []
        while let due = pipeline.nextReleaseTime {
            pipeline.releaseDue(now: due) { _, tag in out.append((Int(tag), due)) }
        }
        return out
    }

    @Test func backToBackDatagramsDepartOneSerializationTimeApart() {
        // 1250 bytes = 10,000 bits at 1 Mbit/s: 10 ms each.
        let pipeline = ImpairmentPipeline(config: config { $0.rate = 1_000_000 }, seed: 1)
        burst(pipeline, count: 10, size: 1250, now: 5_000)
        let released = drain(pipeline)
        #expect(released.map(\.tag) == Array(1...10))
        #expect(released.map(\.time) == (1...10).map { 5_000 + UInt64($0) * 10_000_000 })
    }

    @Test func fractionalNanosecondsAreCarriedNotLost() {
        // 100 bytes at 3 Mbit/s: 266,666.67 ns each; the k-th departs at floor(k × 800e9 / 3e6).
        let pipeline = ImpairmentPipeline(config: config { $0.rate = 3_000_000 }, seed: 1)
        burst(pipeline, count: 300, size: 100, now: 0)
        let released = drain(pipeline)
        #expect(released.map(\.time) == (1...300).map { UInt64($0) * 800_000_000_000 / 3_000_000 })
        #expect(released.last?.time == 80_000_000)  // exactly 300 × 800 bits / 3 Mbit/s
    }

    @Test func delayIsAddedAfterTheBottleneck() {
        let pipeline = ImpairmentPipeline(
            config: config { $0.rate = 8_000_000; $0.delay = 7_000_000 }, seed: 1)
        burst(pipeline, count: 4, size: 1000, now: 0)  // 1 ms each at 8 Mbit/s
        #expect(drain(pipeline).map(\.time) == [8_000_000, 9_000_000, 10_000_000, 11_000_000])
    }

    @Test func aFullQueueTailDrops() {
        let pipeline = ImpairmentPipeline(config: config { $0.rate = 1_000_000; $0.queueLimit = 5 }, seed: 1)
        burst(pipeline, count: 20, size: 125, now: 0)  // 1 ms each
        // One serializing plus five waiting get through; the last fourteen find the queue full.
        #expect(pipeline.stats.queuedNow == 5)
        #expect(pipeline.stats.droppedQueue == 14)
        #expect(pipeline.stats.heldNow == 6)
        let released = drain(pipeline)
        #expect(released.map(\.tag) == Array(1...6))
        #expect(released.map(\.time) == (1...6).map { UInt64($0) * 1_000_000 })
        #expect(pipeline.stats.queuedNow == 0)
    }

    @Test func theQueueAcceptsAgainAsItDrains() {
        let pipeline = ImpairmentPipeline(config: config { $0.rate = 1_000_000; $0.queueLimit = 2 }, seed: 1)
        burst(pipeline, count: 4, size: 125, now: 0)  // 1 and 2, 3 accepted; 4 dropped
        // At 1 ms datagram 1 has left and 2 starts: one waiting (3), so one more fits.
        burst(pipeline, count: 2, size: 125, now: 1_000_000, firstTag: 5)
        #expect(pipeline.stats.droppedQueue == 2)  // tags 4 and 6
        let released = drain(pipeline)
        #expect(released.map(\.tag) == [1, 2, 3, 5])
        #expect(released.map(\.time) == [1_000_000, 2_000_000, 3_000_000, 4_000_000])
    }

    @Test func aZeroQueueLimitOnlyAdmitsToAnIdleLink() {
        let pipeline = ImpairmentPipeline(config: config { $0.rate = 1_000_000; $0.queueLimit = 0 }, seed: 1)
        burst(pipeline, count: 3, size: 125, now: 0)
        burst(pipeline, count: 1, size: 125, now: 1_000_000, firstTag: 4)  // link idle again
        #expect(drain(pipeline).map(\.tag) == [1, 4])
        #expect(pipeline.stats.droppedQueue == 2)
    }

    @Test func anIdleLinkStartsSerializingOnArrival() {
        let pipeline = ImpairmentPipeline(config: config { $0.rate = 1_000_000 }, seed: 1)
        burst(pipeline, count: 1, size: 125, now: 0)
        burst(pipeline, count: 1, size: 125, now: 50_000_000, firstTag: 2)
        #expect(drain(pipeline).map(\.time) == [1_000_000, 51_000_000])
    }

    @Test func perDatagramOverheadCountsTowardsSerialization() {
        let pipeline = ImpairmentPipeline(
            config: config { $0.rate = 1_000_000; $0.rateOverhead = 28 }, seed: 1)
        burst(pipeline, count: 2, size: 97, now: 0)  // (97 + 28) × 8 = 1000 bits: 1 ms each
        #expect(drain(pipeline).map(\.time) == [1_000_000, 2_000_000])
    }

    @Test func sustainedOverloadDeliversAtTheRate() {
        // Offered 1000 datagrams/s of 1000 bytes (8 Mbit/s) to a 4 Mbit/s bottleneck with a
        // 100-datagram queue: output is paced at exactly 2 ms per datagram.
        let harness = PipelineHarness(count: 2000, size: 1000, interval: 1_000_000, start: 0)
        let pipeline = ImpairmentPipeline(config: config { $0.rate = 4_000_000; $0.queueLimit = 100 }, seed: 1)
        let deliveries = harness.run(pipeline)
        let gaps = zip(deliveries, deliveries.dropFirst()).map { $1.time - $0.time }
        #expect(gaps.allSatisfy { $0 == 2_000_000 })
        // Throughput over the run: within one datagram of rate × duration.
        let seconds = Double(deliveries.last!.time) / 1e9
        #expect(abs(Double(deliveries.count) - seconds * 4_000_000 / 8000) <= 1)
        #expect(pipeline.stats.droppedQueue == 2000 - deliveries.count)
        #expect(pipeline.stats.droppedQueue > 800)
    }
}
