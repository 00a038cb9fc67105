import Impairment
import Testing

@Suite struct CorruptionAndDuplicationTests {
    /// Number of bits in which two equally long byte arrays differ.
    func bitDistance(_ a: [UInt8], _ b: [UInt8]) -> Int {
        zip(a, b).reduce(0) { $0 + ($1.0 ^ $1.1).nonzeroBitCount }
    }

    @Test func corruptionFlipsExactlyOneBitAtTheConfiguredRate() {
        let harness = PipelineHarness(count: 10_000, size: 64, keepBytes: true)
        let pipeline = ImpairmentPipeline(config: config { $0.corrupt = 0.05 }, seed: 21)
        let deliveries = harness.run(pipeline)
        #expect(deliveries.count == 10_000)
        var corrupted = 0
        var flippedBytes = Set<Int>()
        for delivery in deliveries {
            let original = harness.payload(of: delivery.index)
            let distance = bitDistance(original, delivery.bytes)
            #expect(distance <= 1)
            if distance == 1 {
                corrupted += 1
                flippedBytes.insert(zip(original, delivery.bytes).enumerated().first { $0.element.0 != $0.element.1 }!.offset)
            }
        }
        #expect(corrupted == pipeline.stats.corrupted)
        #expect(isWithin(Double(corrupted), of: 500, sigma: binomialSigma(trials: 10_000, p: 0.05)))
        // Positions are spread over the whole datagram.
        #expect(flippedBytes.count > 50)
    }

    @Test func corruptionNeverTouchesBytesBeforeTheOffset() {
        let harness = PipelineHarness(count: 5000, size: 40, keepBytes: true)
        let pipeline = ImpairmentPipeline(config: config { $0.corrupt = 1; $0.corruptOffset = 28 }, seed: 4)
        let deliveries = harness.run(pipeline)
        #expect(pipeline.stats.corrupted == 5000)
        var flippedBytes = Set<Int>()
        for delivery in deliveries {
            let original = harness.payload(of: delivery.index)
            #expect(bitDistance(original, delivery.bytes) == 1)
            #expect(Array(original[..<28]) == Array(delivery.bytes[..<28]))
            for i in 28..<40 where original[i] != delivery.bytes[i] { flippedBytes.insert(i) }
        }
        #expect(flippedBytes == Set(28..<40))
    }

    @Test func datagramsNoLongerThanTheOffsetAreNeverCorrupted() {
        let harness = PipelineHarness(count: 100, size: 28, keepBytes: true)
        let pipeline = ImpairmentPipeline(config: config { $0.corrupt = 1; $0.corruptOffset = 28 }, seed: 4)
        let deliveries = harness.run(pipeline)
        #expect(deliveries.allSatisfy { $0.bytes == harness.payload(of: $0.index) })
        #expect(pipeline.stats.corrupted == 0)
    }

    /// Submits `datagram` with a corruption offset of its own and returns what comes out.
    func passThrough(_ pipeline: ImpairmentPipeline, _ datagram: [UInt8], corruptOffset: Int) -> [UInt8] {
        datagram.withUnsafeBytes { pipeline.submit($0, tag: 0, now: 0, corruptOffset: corruptOffset) }
        var out: [[UInt8]] = []
        pipeline.releaseDue(now: 0) { bytes, _ in out.append(Array(bytes)) }
        #expect(out.count == 1)
        return out.first ?? []
    }

    @Test func aDatagramsOwnOffsetReplacesTheConfiguredOne() {
        let pipeline = ImpairmentPipeline(config: config { $0.corrupt = 1; $0.corruptOffset = 2 }, seed: 5)
        var flippedBytes = Set<Int>()
        for round in 0..<2000 {
            let offset = round % 2 == 0 ? 10 : 30
            let original = (0..<40).map { UInt8(truncatingIfNeeded: $0 &* 13 &+ round) }
            let delivered = passThrough(pipeline, original, corruptOffset: offset)
            #expect(bitDistance(original, delivered) == 1)
            #expect(Array(original[..<offset]) == Array(delivered[..<offset]))
            for i in 0..<40 where original[i] != delivered[i] { flippedBytes.insert(i) }
        }
        #expect(flippedBytes == Set(10..<40))
        #expect(pipeline.stats.corrupted == 2000)
    }

    @Test func whichDatagramsAreCorruptedDoesNotDependOnTheLengthsBefore() {
        // Every other datagram has nothing after its offset: it is never corrupted, and the
        // others are picked exactly as in a stream where every datagram could be.
        let mixed = ImpairmentPipeline(config: config { $0.corrupt = 0.5 }, seed: 9)
        let reference = ImpairmentPipeline(config: config { $0.corrupt = 0.5 }, seed: 9)
        let datagram = [UInt8](repeating: 0x5A, count: 64)
        var mixedPicks: [Bool] = []
        var referencePicks: [Bool] = []
        for index in 0..<400 {
            let empty = index % 2 == 0
            let mixedOut = passThrough(mixed, datagram, corruptOffset: empty ? 64 : 8)
            let referenceOut = passThrough(reference, datagram, corruptOffset: 8)
            if empty {
                #expect(mixedOut == datagram)
            } else {
                mixedPicks.append(mixedOut != datagram)
                referencePicks.append(referenceOut != datagram)
            }
        }
        #expect(mixedPicks == referencePicks)
        #expect(mixedPicks.contains(true) && mixedPicks.contains(false))
    }

    @Test func duplicationDeliversIdenticalCopiesAtTheConfiguredRate() {
        let harness = PipelineHarness(count: 10_000, size: 32, keepBytes: true)
        let pipeline = ImpairmentPipeline(config: config { $0.duplicate = 0.1 }, seed: 33)
        let deliveries = harness.run(pipeline)
        let duplicates = deliveries.count - 10_000
        #expect(duplicates == pipeline.stats.duplicated)
        #expect(isWithin(Double(duplicates), of: 1000, sigma: binomialSigma(trials: 10_000, p: 0.1)))
        var copies = [Int](repeating: 0, count: 10_001)
        for delivery in deliveries {
            copies[delivery.index] += 1
            #expect(delivery.bytes == harness.payload(of: delivery.index))
        }
        #expect(copies.dropFirst().allSatisfy { $0 == 1 || $0 == 2 })
        #expect(copies.filter { $0 == 2 }.count == duplicates)
        // Without delay a copy follows its original at once, so nothing is reordered.
        #expect(pipeline.stats.reordered == 0)
    }

    @Test func aDuplicateCarriesTheSameCorruptionAndTag() {
        let harness = PipelineHarness(count: 200, size: 16, keepBytes: true)
        let pipeline = ImpairmentPipeline(config: config { $0.duplicate = 1; $0.corrupt = 1 }, seed: 8)
        let deliveries = harness.run(pipeline)
        #expect(deliveries.count == 400)
        for pair in stride(from: 0, to: deliveries.count, by: 2) {
            #expect(deliveries[pair].index == deliveries[pair + 1].index)
            #expect(deliveries[pair].bytes == deliveries[pair + 1].bytes)
            #expect(bitDistance(deliveries[pair].bytes, harness.payload(of: deliveries[pair].index)) == 1)
        }
        #expect(pipeline.stats.corrupted == 200 && pipeline.stats.duplicated == 200)
    }
}
