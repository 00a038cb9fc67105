import Impairment
import Testing

/// Seeded runs of the impairments that existed before correlation, pareto, the packet reorder
/// gap and slots: their output is pinned to the values recorded before those were added, so a
/// new feature that is off cannot shift a single draw of the old ones.
@Suite struct GoldenOutputTests {
    /// FNV-1a over every delivery's index, release time and bytes, in release order.
    private func fingerprint(_ deliveries: [Delivery]) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ value: UInt64) {
            for shift in stride(from: 0, to: 64, by: 8) {
                hash = (hash ^ ((value >> UInt64(shift)) & 0xff)) &* 0x0000_0100_0000_01b3
            }
        }
        for delivery in deliveries {
            mix(UInt64(delivery.index))
            mix(delivery.time)
            for byte in delivery.bytes { mix(UInt64(byte)) }
        }
        return hash
    }

    private func everythingOld(_ distribution: JitterDistribution) -> ImpairmentConfig {
        config {
            $0.loss = 0.1; $0.burstLoss = GilbertElliott(p: 0.02, r: 0.3); $0.corrupt = 0.01; $0.duplicate = 0.02
            $0.rate = 50_000_000; $0.queueLimit = 20; $0.delay = 10_000_000; $0.jitter = 3_000_000
            $0.jitterDistribution = distribution; $0.reorder = 0.05; $0.reorderGap = 2_000_000
        }
    }

    @Test(arguments: [(JitterDistribution.uniform, UInt64(14_059_795_475_769_318_257)), (.normal, 7_861_156_781_916_836_477)])
    func oldImpairmentsGiveTheirRecordedOutput(distribution: JitterDistribution, expected: UInt64) {
        let harness = PipelineHarness(count: 5000, size: 200, interval: 30_000, keepBytes: true)
        let value = fingerprint(harness.run(ImpairmentPipeline(config: everythingOld(distribution), seed: 2024)))
        #expect(value == expected)
    }
}
