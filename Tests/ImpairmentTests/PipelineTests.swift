import Impairment
import Testing

@Suite struct PipelineTests {
    @Test func identityReleasesEachDatagramAtOnceWithItsBytesAndTag() {
        let pipeline = ImpairmentPipeline(config: .none, seed: 1)
        let payload: [UInt8] = [1, 2, 3, 4, 5]
        payload.withUnsafeBytes { pipeline.submit($0, tag: 42, now: 1000) }
        #expect(pipeline.nextReleaseTime == 1000)
        var out: [([UInt8], UInt64)] = []
        pipeline.releaseDue(now: 1000) { bytes, tag in out.append((Array(bytes), tag)) }
        #expect(out.count == 1)
        #expect(out.first?.0 == payload && out.first?.1 == 42)
        #expect(pipeline.stats.received == 1 && pipeline.stats.delivered == 1)
        #expect(pipeline.stats.dropped == 0 && pipeline.stats.delayed == 0)
    }

    @Test func aMillionDatagramsThroughAnIdentityPipelineReuseTheSameSlots() {
        let pipeline = ImpairmentPipeline(config: .none, seed: 1)
        var buffer = [UInt8](repeating: 0, count: 1200)
        var released = 0
        var checksum: UInt64 = 0
        // Batches of 32 in flight: the pool settles at 32 slots and never grows after.
        for batch in 0..<31_250 {
            let now = UInt64(batch) * 1000
            for i in 0..<32 {
                buffer.withUnsafeMutableBytes { $0.storeBytes(of: UInt64(batch * 32 + i), as: UInt64.self) }
                buffer.withUnsafeBytes { pipeline.submit($0, tag: 0, now: now) }
            }
            pipeline.releaseDue(now: now) { bytes, _ in
                released += 1
                checksum &+= bytes.load(as: UInt64.self)
            }
            if batch == 0 { #expect(pipeline.pooledSlotCount == 32) }
        }
        #expect(released == 1_000_000)
        #expect(checksum == 999_999 * 1_000_000 / 2)
        #expect(pipeline.pooledSlotCount == 32)
    }

    @Test func slotsAreReusedUnderImpairmentToo() {
        let pipeline = ImpairmentPipeline(
            config: config { $0.loss = 0.1; $0.delay = 1_000_000; $0.jitter = 200_000; $0.duplicate = 0.05 },
            seed: 3)
        let harness = PipelineHarness(count: 50_000, size: 1400, interval: 100_000)
        _ = harness.run(pipeline)
        // About 10 datagrams in flight at a time (1 ms delay, one per 0.1 ms), a few more with
        // jitter and duplicates: the pool stays near that, whatever the traffic volume.
        #expect(pipeline.pooledSlotCount < 32)
        #expect(pipeline.stats.heldNow == 0)
    }

    @Test func largeAndEmptyDatagramsRoundTrip() {
        let pipeline = ImpairmentPipeline(config: config { $0.delay = 10 }, seed: 1)
        let large = (0..<65_536).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        large.withUnsafeBytes { pipeline.submit($0, tag: 1, now: 0) }
        [UInt8]().withUnsafeBytes { pipeline.submit($0, tag: 2, now: 0) }
        var out: [[UInt8]] = []
        pipeline.releaseDue(now: 10) { bytes, _ in out.append(Array(bytes)) }
        #expect(out == [large, []])
    }

    @Test func oversizeDatagramsAreDroppedAndCounted() {
        let pipeline = ImpairmentPipeline(config: .none, seed: 1, maxDatagramSize: 1500)
        [UInt8](repeating: 0, count: 1501).withUnsafeBytes { pipeline.submit($0, tag: 1, now: 0) }
        [UInt8](repeating: 0, count: 1500).withUnsafeBytes { pipeline.submit($0, tag: 2, now: 0) }
        var tags: [UInt64] = []
        pipeline.releaseDue(now: 0) { _, tag in tags.append(tag) }
        #expect(tags == [2])
        #expect(pipeline.stats.droppedOversize == 1 && pipeline.stats.dropped == 1)
    }

    @Test func countersBalanceAtEveryStep() {
        let pipeline = ImpairmentPipeline(
            config: config {
                $0.loss = 0.05; $0.burstLoss = GilbertElliott(p: 0.01, r: 0.4); $0.duplicate = 0.1
                $0.delay = 3_000_000; $0.jitter = 1_000_000; $0.reorder = 0.1; $0.rate = 20_000_000
                $0.queueLimit = 20; $0.scriptedDrops = [5...9]; $0.corrupt = 0.02
            }, seed: 12)
        var buffer = [UInt8](repeating: 0, count: 500)
        for i in 0..<30_000 {
            let now = UInt64(i) * 150_000
            pipeline.releaseDue(now: now) { _, _ in }
            buffer[0] = UInt8(truncatingIfNeeded: i)
            buffer.withUnsafeBytes { pipeline.submit($0, tag: 0, now: now) }
            let s = pipeline.stats
            #expect(s.received + s.duplicated == s.delivered + s.dropped + s.heldNow)
            #expect(s.queuedNow <= 20 && s.queuedNow <= s.heldNow)
        }
        pipeline.releaseDue(now: .max) { _, _ in }
        let s = pipeline.stats
        #expect(s.heldNow == 0 && s.received + s.duplicated == s.delivered + s.dropped)
    }

    @Test func timeGoingBackwardsIsTreatedAsNoTimePassing() {
        let pipeline = ImpairmentPipeline(config: config { $0.delay = 100 }, seed: 1)
        [UInt8(1)].withUnsafeBytes { pipeline.submit($0, tag: 1, now: 1000) }
        [UInt8(2)].withUnsafeBytes { pipeline.submit($0, tag: 2, now: 500) }
        #expect(pipeline.stats.heldNow == 2)
        var tags: [UInt64] = []
        pipeline.releaseDue(now: 1100) { _, tag in tags.append(tag) }
        #expect(tags == [1, 2])
    }

    @Test func releaseMaySubmitToAnotherPipeline() {
        // The simulator's shape: what leaves one hop enters the next.
        let first = ImpairmentPipeline(config: config { $0.delay = 10 }, seed: 1)
        let second = ImpairmentPipeline(config: config { $0.delay = 5 }, seed: 2)
        [UInt8(7)].withUnsafeBytes { first.submit($0, tag: 3, now: 0) }
        first.releaseDue(now: 10) { bytes, tag in second.submit(bytes, tag: tag, now: 10) }
        #expect(second.nextReleaseTime == 15)
        var got: [UInt8] = []
        second.releaseDue(now: 15) { bytes, _ in got = Array(bytes) }
        #expect(got == [7])
    }
}
