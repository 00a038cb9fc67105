import RUDP
import RUDPSim
import Testing

/// The randomized simulation campaign in its quick profile: 4,000 seeds, each a transfer with
/// random loss (0-50 %, Bernoulli and bursts), reordering, duplication, corruption, delay up to
/// 500 ms, window 1-1024, a size on a packet or window boundary, and an ISN near the wrap.
/// scripts/simulate.sh runs the full profile (larger transfers, any number of seeds).
@Suite struct CampaignTests {
    static let shards = 8
    static let seedsPerShard = 500

    @Test(arguments: 0..<shards)
    func everyScenarioDeliversExactlyOrFailsOnBothSides(shard: Int) {
        var tally: [String: Int] = [:]
        var migrated = 0
        var earlyDataTaken = 0, answered = 0
        for offset in 0..<Self.seedsPerShard {
            let seed = UInt64(shard * Self.seedsPerShard + offset + 1)
            let scenario = CampaignGenerator.scenario(seed: seed, profile: .quick)
            let outcome = TransferSimulation.run(scenario)
            let verdict = CampaignVerdict(outcome, scenario: scenario)
            tally[verdict.label, default: 0] += 1
            if outcome.migrations > 0 { migrated += 1 }
            if outcome.senderStatistics.earlyDataBytesTaken > 0 { earlyDataTaken += 1 }
            if outcome.responseBytes != nil { answered += 1 }
            #expect(!verdict.isViolation,
                    "\(verdict); reproduce with: \(CampaignProfile.quick.reproduction(seed: seed))\n \(scenario.reproduction)")
        }
        #expect(tally.values.reduce(0, +) == Self.seedsPerShard)
        // Loss tops out at 50 %, and the sender's patience grows with it: most transfers must arrive.
        #expect(tally["delivered", default: 0] * 10 >= Self.seedsPerShard * 8, "\(tally)")
        // About one scenario in ten rebinds the sender's address; those that last long enough move.
        #expect(migrated > 0, "no transfer of shard \(shard) moved to a new address")
        // About 30 % of the scenarios carry their first packet in the SYN, most with an answer.
        #expect(earlyDataTaken * 10 >= Self.seedsPerShard, "\(earlyDataTaken) transfers had their early data taken")
        #expect(answered * 20 >= Self.seedsPerShard, "\(answered) senders got a response")
    }

    /// The message campaign: 1,200 seeds, each a stream of 1-150 messages of 16-615 bytes, in
    /// order, unordered, or unordered with 1-8 copies of earlier messages in each packet, over
    /// the same random links (every impairment), with any congestion controller.
    @Test(arguments: 0..<4)
    func everyMessageArrivesOnceAndIntactOrTheSenderGivesUp(shard: Int) {
        var tally: [String: Int] = [:]
        var copiesSent = 0, redundantRuns = 0
        for offset in 0..<300 {
            let seed = UInt64(shard * 300 + offset + 1)
            let scenario = MessageCampaign.scenario(seed: seed)
            let outcome = MessageSimulation.run(scenario)
            let verdict = MessageCampaignVerdict(outcome)
            tally[verdict.label, default: 0] += 1
            if scenario.transport == .rudpRedundant { redundantRuns += 1 }
            if outcome.redundantBytes > 0 { copiesSent += 1 }
            #expect(verdict.label != "VIOLATION", "\(verdict); seed \(seed): \(scenario)")
        }
        #expect(tally["delivered", default: 0] * 10 >= 300 * 8, "\(tally)")
        // Copies ride only where a packet has room and an earlier message is unacknowledged:
        // most redundant runs must carry some.
        #expect(copiesSent * 2 >= redundantRuns, "\(copiesSent) of \(redundantRuns) redundant runs carried copies")
    }

    /// Full-profile seeds that once broke the rule, rerun as they were drawn.
    /// 7,002,480: stop-and-wait, a 1-byte file, 42 % loss each way, the sender rebinding every
    /// 1.76 s. A retransmitted SYN from its second address left a stale handshake of the same
    /// connection ID; after the transfer was confirmed and forgotten, the sender's late FINs
    /// from newer addresses matched that handshake, which dropped them, so the receiver's
    /// memory of confirmed transfers never answered: saved, but reported failed.
    @Test(arguments: [UInt64(7_002_480)])
    func aSeedThatOnceBrokeTheRuleNowHoldsIt(seed: UInt64) {
        let scenario = CampaignGenerator.scenario(seed: seed, profile: .full)
        let outcome = TransferSimulation.run(scenario)
        #expect(CampaignVerdict(outcome, scenario: scenario) == .delivered, "\(scenario.reproduction)")
        #expect(outcome.finsUnanswered == 0)
    }

    @Test func theGeneratorIsDeterministicAndCoversTheRanges() {
        var windows = Set<Int>(), sizes = 0, wraps = 0, modes = Set<TransferMode>()
        for seed in UInt64(1)...2_000 {
            let first = CampaignGenerator.scenario(seed: seed, profile: .full)
            let again = CampaignGenerator.scenario(seed: seed, profile: .full)
            #expect(first.reproduction == again.reproduction)
            windows.insert(first.window)
            modes.insert(first.mode)
            if first.size % first.mss == 0 || first.size % first.mss == 1 || first.size % first.mss == first.mss - 1 { sizes += 1 }
            let packets = UInt64(first.size / first.mss + 1)
            if let isn = first.initialSequence, UInt64(isn) + packets + 1 > UInt64(UInt32.max) { wraps += 1 }
            #expect(max(first.forward.loss, first.reverse.loss) <= 0.5)
            #expect(first.forward.delay <= 500_000_000 && first.reverse.delay <= 500_000_000)
            #expect(first.window >= 1 && first.window <= 1_024)
        }
        #expect(windows.contains(1) && windows.contains(where: { $0 >= 512 }))
        #expect(modes.count == 3)
        #expect(sizes > 1_000, "most sizes sit on a packet boundary or next to one")
        #expect(wraps > 500, "many transfers cross the 2^32 wrap")
    }
}
