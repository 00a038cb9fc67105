import Impairment
import Testing

@Suite struct DeterminismTests {
    /// Every impairment at once.
    let everything = config {
        $0.loss = 0.1
        $0.burstLoss = GilbertElliott(p: 0.01, r: 0.3)
        $0.delay = 5_000_000
        $0.jitter = 2_000_000
        $0.reorder = 0.05
        $0.reorderGap = 3_000_000
        $0.duplicate = 0.05
        $0.corrupt = 0.05
        $0.rate = 40_000_000  // below the ~50 Mbit/s offered after loss: the queue overflows
        $0.queueLimit = 50
        $0.scriptedDrops = [3...3, 40...45]
    }
    let harness = PipelineHarness(count: 20_000, size: 200, interval: 30_000, keepBytes: true)

    @Test func sameSeedAndTrafficGiveIdenticalOutput() {
        let first = ImpairmentPipeline(config: everything, seed: 1234)
        let second = ImpairmentPipeline(config: everything, seed: 1234)
        let a = harness.run(first)
        let b = harness.run(second)
        #expect(a == b)
        #expect(first.stats == second.stats)
        // The run exercised every stage.
        let stats = first.stats
        #expect(stats.droppedScripted == 7 && stats.droppedLoss > 0 && stats.droppedBurstLoss > 0)
        #expect(stats.droppedQueue > 0 && stats.duplicated > 0 && stats.corrupted > 0)
        #expect(stats.reordered > 0 && stats.heldBackForReorder > 0)
    }

    @Test func anotherSeedGivesOtherDecisions() {
        let a = harness.run(ImpairmentPipeline(config: everything, seed: 1))
        let b = harness.run(ImpairmentPipeline(config: everything, seed: 2))
        #expect(a != b)
        #expect(missingIndices(a, count: harness.count) != missingIndices(b, count: harness.count))
    }

    @Test func enablingDuplicationDoesNotChangeWhichDatagramsAreLost() {
        let lossOnly = config { $0.loss = 0.2; $0.burstLoss = GilbertElliott(p: 0.02, r: 0.5) }
        var withDuplicates = lossOnly
        withDuplicates.duplicate = 0.3
        let plain = harness.run(ImpairmentPipeline(config: lossOnly, seed: 99))
        let duplicated = harness.run(ImpairmentPipeline(config: withDuplicates, seed: 99))
        #expect(duplicated.count > plain.count)
        #expect(missingIndices(plain, count: harness.count) == missingIndices(duplicated, count: harness.count))
    }

    @Test func enablingLossDoesNotChangeWhichDatagramsAreCorruptedOrDelayedHow() {
        let base = config { $0.corrupt = 0.1; $0.delay = 1_000_000; $0.jitter = 500_000; $0.reorder = 0.1 }
        var lossy = base
        lossy.loss = 0.3
        lossy.scriptedDrops = [1...100]
        let clean = harness.run(ImpairmentPipeline(config: base, seed: 5))
        let thinned = harness.run(ImpairmentPipeline(config: lossy, seed: 5))
        let byIndex = Dictionary(uniqueKeysWithValues: clean.map { ($0.index, $0) })
        #expect(thinned.count < clean.count - 5000)
        for delivery in thinned {
            // Same bytes (so the same bit, if any, flipped) and the same release time.
            #expect(byIndex[delivery.index] == delivery)
        }
    }

    @Test func enablingJitterDoesNotChangeLossOrCorruption() {
        let base = config { $0.loss = 0.1; $0.corrupt = 0.1 }
        var jittered = base
        jittered.delay = 2_000_000
        jittered.jitter = 1_000_000
        let a = harness.run(ImpairmentPipeline(config: base, seed: 6))
        let b = harness.run(ImpairmentPipeline(config: jittered, seed: 6))
        #expect(a.map(\.index) != b.map(\.index))  // jitter did reorder...
        #expect(a.sorted { $0.index < $1.index }.map(\.bytes) == b.sorted { $0.index < $1.index }.map(\.bytes))
        #expect(missingIndices(a, count: harness.count) == missingIndices(b, count: harness.count))
    }

    @Test func linkDirectionsAreIndependentAndReproducible() {
        let lossy = config { $0.loss = 0.2 }
        let link = ImpairedLink(both: lossy, seed: 77)
        let again = ImpairedLink(both: lossy, seed: 77)
        let small = PipelineHarness(count: 5000)
        let forward = missingIndices(small.run(link.forward), count: 5000)
        let reverse = missingIndices(small.run(link.reverse), count: 5000)
        #expect(forward != reverse)
        #expect(forward == missingIndices(small.run(again.pipeline(.forward)), count: 5000))
        #expect(reverse == missingIndices(small.run(again.pipeline(.reverse)), count: 5000))
        // Neither direction's pipeline is the same as an unlinked pipeline with the raw seed.
        #expect(forward != missingIndices(small.run(ImpairmentPipeline(config: lossy, seed: 77)), count: 5000))
    }

    @Test func linkReportsTheEarlierDirectionsDueTime() {
        let link = ImpairedLink(
            forward: config { $0.delay = 30 }, reverse: config { $0.delay = 10 }, seed: 1)
        #expect(link.nextReleaseTime == nil)
        [UInt8(0)].withUnsafeBytes { link.forward.submit($0, tag: 1, now: 100) }
        #expect(link.nextReleaseTime == 130)
        [UInt8(0)].withUnsafeBytes { link.reverse.submit($0, tag: 2, now: 100) }
        #expect(link.nextReleaseTime == 110)
    }
}
