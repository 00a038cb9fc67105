import CLIKit
import Impairment
import Testing

@testable import ImpairmentCLI

/// The impairment flags: every flag lands in the right field, direction prefixes override the
/// both-directions flag for their direction only, and impossible values are one-line usage errors.
@Suite struct ImpairmentOptionsTests {
    private func configurations(_ arguments: [String]) throws -> (forward: ImpairmentConfig, reverse: ImpairmentConfig) {
        var spec = CommandSpec(name: "impair", summary: "test")
        let options = ImpairmentOptions(declaringOn: &spec)
        return try options.configurations(from: spec.parse(["impair"] + arguments))
    }

    private func usageError(_ arguments: [String]) -> UsageError? {
        do {
            _ = try configurations(arguments)
            return nil
        } catch let error as UsageError {
            return error
        } catch {
            Issue.record("expected a UsageError, got \(error)")
            return nil
        }
    }

    @Test func noFlagsMeansNoImpairment() throws {
        let (forward, reverse) = try configurations([])
        #expect(forward == .none && reverse == .none)
        #expect(forward.isIdentity)
    }

    @Test func everyFlagReachesItsField() throws {
        let (forward, reverse) = try configurations([
            "--loss", "10", "--loss-burst", "1%:25%", "--delay", "10ms", "--jitter", "2ms",
            "--jitter-distribution", "normal", "--no-reorder-by-jitter", "--reorder", "5%", "--reorder-gap", "3ms",
            "--duplicate", "2", "--corrupt", "1%", "--rate", "8mbit", "--queue", "50", "--drop", "3,7,10-12",
        ])
        for config in [forward, reverse] {
            #expect(config.loss == 0.10)
            #expect(config.burstLoss == GilbertElliott(p: 0.01, r: 0.25))
            #expect(config.delay == 10_000_000)
            #expect(config.jitter == 2_000_000)
            #expect(config.jitterDistribution == .normal)
            #expect(config.reorderByJitter == false)
            #expect(config.reorder == 0.05)
            #expect(config.reorderGap == 3_000_000)
            #expect(config.duplicate == 0.02)
            #expect(config.corrupt == 0.01)
            #expect(config.rate == 8_000_000)
            #expect(config.queueLimit == 50)
            #expect(config.scriptedDrops == [3...3, 7...7, 10...12])
        }
    }

    @Test func aDirectionFlagOverridesTheSharedOneForThatDirectionOnly() throws {
        let (forward, reverse) = try configurations(["--reverse-loss", "1%", "--loss", "10%", "--forward-delay", "5ms", "--delay", "20ms"])
        #expect(forward.loss == 0.10)
        #expect(reverse.loss == 0.01)
        #expect(forward.delay == 5_000_000)
        #expect(reverse.delay == 20_000_000)
    }

    @Test func aDirectionFlagAloneLeavesTheOtherDirectionUnimpaired() throws {
        let (forward, reverse) = try configurations(["--forward-drop", "3,7", "--reverse-no-reorder-by-jitter", "--reverse-rate", "1mbit"])
        #expect(forward.scriptedDrops == [3...3, 7...7])
        #expect(reverse.scriptedDrops.isEmpty)
        #expect(forward.reorderByJitter && !reverse.reorderByJitter)
        #expect(forward.rate == 0 && reverse.rate == 1_000_000)
    }

    @Test("a modifier for both directions needs its base in one: --forward-reorder with --reorder-gap, --forward-rate with --queue")
    func aModifierForBothDirectionsNeedsItsBaseInOneOnly() throws {
        let (forward, reverse) = try configurations(["--forward-reorder", "30%", "--reorder-gap", "3ms"])
        #expect(forward.reorder == 0.3 && forward.reorderGap == 3_000_000)
        #expect(reverse.reorder == 0, "the gap is moot where nothing is held back")
        let (limited, unlimited) = try configurations(["--queue", "10", "--forward-rate", "1mbit"])
        #expect(limited.rate == 1_000_000 && limited.queueLimit == 10)
        #expect(unlimited.rate == 0)
    }

    @Test func correlationsAndNetemDistributionsReachTheirFields() throws {
        let (forward, reverse) = try configurations([
            "--loss", "5%", "--loss-correlation", "25%", "--jitter", "2ms", "--jitter-correlation", "50",
            "--jitter-distribution", "paretonormal", "--reverse-jitter-distribution", "pareto",
        ])
        #expect(forward.lossCorrelation == 0.25 && reverse.lossCorrelation == 0.25)
        #expect(forward.jitterCorrelation == 0.5)
        #expect(forward.jitterDistribution == .paretonormal && reverse.jitterDistribution == .pareto)
        #expect(ImpairmentSummary.describe(forward)
                == "loss 5% (correlation 25%), delay 0 ns ± 2.00 ms (paretonormal, correlation 50%)")
    }

    @Test func slotsAndTheirBudgetsReachTheirFields() throws {
        let (forward, reverse) = try configurations(["--forward-slot", "5ms:15ms", "--slot-packets", "4", "--slot-bytes", "6000"])
        #expect(forward.slots == DeliverySlots(minInterval: 5_000_000, maxInterval: 15_000_000, maxPackets: 4, maxBytes: 6000))
        #expect(reverse.slots == nil)
        let fixed = try configurations(["--slot", "10ms"]).forward.slots
        #expect(fixed == DeliverySlots(minInterval: 10_000_000, maxInterval: 10_000_000))
        #expect(ImpairmentSummary.describe(forward) == "slots every 5.00 ms to 15.0 ms, 4 datagrams, 6000 bytes")
    }

    @Test func rateOverheadReplacesTheCommandsDefaultAndPacesTheBottleneck() throws {
        var spec = CommandSpec(name: "impair", summary: "test")
        let options = ImpairmentOptions(declaringOn: &spec)
        let relayDefault = try options.configurations(from: spec.parse(["impair", "--rate", "1mbit"]), defaultRateOverhead: 28)
        #expect(relayDefault.forward.rateOverhead == 28 && relayDefault.reverse.rateOverhead == 28)
        let (forward, reverse) = try options.configurations(
            from: spec.parse(["impair", "--rate", "1mbit", "--rate-overhead", "100", "--reverse-rate-overhead", "0"]),
            defaultRateOverhead: 28)
        #expect(forward.rateOverhead == 100 && reverse.rateOverhead == 0)

        // 20 back-to-back datagrams of 900 bytes: each occupies (900 + 100) × 8 bits = 8 ms at 1 Mbit/s.
        let pipeline = ImpairmentPipeline(config: forward, seed: 1)
        let datagram = [UInt8](repeating: 0, count: 900)
        for tag in 0..<20 { datagram.withUnsafeBytes { pipeline.submit($0, tag: UInt64(tag), now: 0) } }
        var departures: [UInt64] = []
        while let due = pipeline.nextReleaseTime {
            pipeline.releaseDue(now: due) { _, _ in departures.append(due) }
        }
        #expect(departures == (1...20).map { UInt64($0) * 8_000_000 })
    }

    @Test func everyFlagHasBothDirectionSpellings() throws {
        var spec = CommandSpec(name: "impair", summary: "test")
        _ = ImpairmentOptions(declaringOn: &spec)
        let help = spec.helpText
        for name in ImpairmentOptions.flagNames {
            #expect(help.contains("--\(name)"), "help lacks --\(name)")
            // Option rows are indented by six spaces; the explaining sentence may name a variant.
            #expect(!help.contains("      --forward-\(name)") && !help.contains("      --reverse-\(name)"),
                    "--\(name) variants are hidden")
            let forwardValue = name == "no-reorder-by-jitter" ? [] : [sampleValue(for: name)]
            let bases = ["queue": ["rate"], "rate-overhead": ["rate"], "reorder-gap": ["reorder"],
                         "reorder-packet-gap": ["reorder", "delay"], "loss-correlation": ["loss"],
                         "jitter-correlation": ["jitter"], "slot-packets": ["slot"], "slot-bytes": ["slot"]]
            let extra = (bases[name] ?? []).flatMap { ["--\($0)", sampleValue(for: $0)] }
            _ = try configurations(["--forward-\(name)"] + forwardValue + extra)
            _ = try configurations(["--reverse-\(name)"] + forwardValue + extra)
        }
        #expect(help.contains("forward- or reverse-"), "the prefixes are explained")
    }

    private func sampleValue(for name: String) -> String {
        switch name {
        case "loss-burst": "1:25"
        case "delay", "jitter", "reorder-gap": "1ms"
        case "jitter-distribution": "uniform"
        case "rate": "1mbit"
        case "queue", "rate-overhead", "reorder-packet-gap", "slot-packets", "slot-bytes": "10"
        case "slot": "1ms:2ms"
        case "drop": "1"
        default: "1%"
        }
    }

    @Test(arguments: [
        (["--loss", "150%"], "impair: --loss: '150%' is not a percentage between 0 and 100"),
        (["--forward-duplicate", "101"], "impair: --forward-duplicate: '101' is not a percentage between 0 and 100"),
        (["--corrupt", "-1"], "impair: --corrupt: '-1' is not a percentage between 0 and 100"),
        (["--reorder", "lots"], "impair: --reorder: 'lots' is not a percentage (examples: 5, 5%, 0.5%)"),
        (["--rate", "0"], "impair: --rate: '0' is not a rate above 0; leave --rate out for an unlimited link"),
        (["--reverse-rate", "fast"], "impair: --reverse-rate: 'fast' is not a rate (examples: 800kbit, 10mbit, 1gbit)"),
        (["--delay", "10"], "impair: --delay: '10' needs a unit: 10ms, 10s, 10us (units: ns, us, ms, s, m, h)"),
        (["--delay", "2h"], "impair: --delay: '2h' is longer than the maximum of 1h"),
        (["--jitter", "soon"], "impair: --jitter: 'soon' is not a duration (examples: 10ms, 1.5s, 250us)"),
        (["--reorder", "5", "--reorder-gap", "0"], "impair: --reorder-gap: '0' must be longer than 0 (e.g. 10ms)"),
        (["--jitter-distribution", "gamma"],
         "impair: --jitter-distribution: 'gamma' is not one of uniform, normal, pareto, paretonormal"),
        (["--loss-correlation", "25%"], "impair: --loss-correlation correlates the decisions of --loss; give --loss too"),
        (["--reverse-jitter-correlation", "25%", "--forward-jitter", "1ms"],
         "impair: --reverse-jitter-correlation correlates the samples of --jitter; give --reverse-jitter or --jitter too"),
        (["--loss", "5", "--loss-correlation", "125%"],
         "impair: --loss-correlation: '125%' is not a percentage between 0 and 100"),
        (["--rate", "1mbit", "--queue", "-1"], "impair: --queue: '-1' is not a number of datagrams between 0 and 1000000"),
        (["--queue", "10"], "impair: --queue limits the queue of the --rate bottleneck; give --rate too"),
        (["--forward-queue", "10", "--reverse-rate", "1mbit"],
         "impair: --forward-queue limits the queue of the --rate bottleneck; give --forward-rate or --rate too"),
        (["--reorder", "5", "--reorder-packet-gap", "3"],
         "impair: --reorder-packet-gap sends reordered datagrams ahead of the delayed ones; give --delay too"),
        (["--delay", "5ms", "--reorder-packet-gap", "3"],
         "impair: --reorder-packet-gap spaces the datagrams --reorder sends ahead; give --reorder too"),
        (["--delay", "5ms", "--reorder", "5", "--reorder-packet-gap", "0"],
         "impair: --reorder-packet-gap: '0' is not a number of datagrams between 1 and 1000000000"),
        (["--delay", "5ms", "--reorder", "5", "--reorder-packet-gap", "3", "--reorder-gap", "1ms"],
         "impair: --reorder-gap (hold back by a time) and --reorder-packet-gap (send ahead, netem style) are two ways to reorder; give one"),
        (["--slot-packets", "3"], "impair: --slot-packets limits the bursts of --slot; give --slot too"),
        (["--slot", "15ms:5ms"], "impair: --slot: '15ms:5ms' needs 0 ≤ MIN ≤ MAX and MAX above 0"),
        (["--slot", "5ms:later"], "impair: --slot: MAX in '5ms:later': 'later' is not a duration (examples: 10ms, 1.5s, 250us)"),
        (["--slot", "10ms", "--slot-bytes", "0"], "impair: --slot-bytes: '0' is not a number of bytes between 1 and 1000000000"),
        (["--rate-overhead", "28"], "impair: --rate-overhead adds bytes to each datagram on the --rate bottleneck; give --rate too"),
        (["--rate", "1mbit", "--rate-overhead", "-4"],
         "impair: --rate-overhead: '-4' is not a number of bytes between 0 and 65536"),
        (["--reorder-gap", "5ms"], "impair: --reorder-gap sets how long reordered datagrams are held back; give --reorder too"),
        (["--loss-burst", "5"], "impair: --loss-burst: '5' is not P:R (good→bad and bad→good transition probabilities, e.g. 1%:25%)"),
        (["--loss-burst", "1:200"], "impair: --loss-burst: R in '1:200': '200' is not a percentage between 0 and 100"),
        (["--drop", "0"], "impair: --drop: '0': datagrams are numbered from 1"),
        (["--drop", "5-3"], "impair: --drop: '5-3' is a backwards range; write the smaller index first (3-5)"),
        (["--drop", "3,,4"], "impair: --drop: '3,,4' has an empty item; write indices and ranges separated by commas, e.g. 3,7,10-12"),
        (["--reverse-drop", "x"], "impair: --reverse-drop: 'x' is not an index (N) or a range (N-M) of datagrams"),
        (["--drop", "1-2-3"], "impair: --drop: '1-2-3' is not an index (N) or a range (N-M) of datagrams"),
    ])
    func impossibleValuesAreOneLineUsageErrors(arguments: [String], message: String) {
        let error = usageError(arguments)
        #expect(error?.description == message)
        #expect(error?.description.contains("\n") == false)
    }

    @Test func dropListsAcceptIndicesRangesSpacesAndAnyOrder() throws {
        #expect(try DropList.parse("3,7,10-12") == [3...3, 7...7, 10...12])
        #expect(try DropList.parse(" 12 , 1-2 ,5") == [12...12, 1...2, 5...5])
        #expect(try DropList.parse("4-4") == [4...4])
        #expect(throws: ValueError.self) { try DropList.parse("") }
        #expect(throws: ValueError.self) { try DropList.parse("-3") }
        #expect(throws: ValueError.self) { try DropList.parse("3-") }
        #expect(throws: ValueError.self) { try DropList.parse("99999999999999999999") }
    }

    @Test func burstLossTakesTwoToFourPercentages() throws {
        #expect(try BurstLossValue.parse("1%:25%") == GilbertElliott(p: 0.01, r: 0.25))
        #expect(try BurstLossValue.parse("1:25:50:2") == GilbertElliott(p: 0.01, r: 0.25, lossInBad: 0.5, lossInGood: 0.02))
        #expect(throws: ValueError.self) { try BurstLossValue.parse("1:2:3:4:5") }
        #expect(throws: ValueError.self) { try BurstLossValue.parse("1:") }
    }

    @Test func summariesNameWhatADirectionDoes() throws {
        let (forward, reverse) = try configurations(["--loss", "10", "--delay", "10ms", "--reorder", "5", "--reverse-rate", "8mbit"])
        #expect(ImpairmentSummary.describe(forward) == "loss 10%, delay 10.0 ms, reorder 5% by 10.0 ms")
        #expect(ImpairmentSummary.describe(reverse) == "loss 10%, rate 8.00 Mbit/s queue 1000, delay 10.0 ms, reorder 5% by 10.0 ms")
        #expect(ImpairmentSummary.describe(.none) == "none")
        let (burst, _) = try configurations(["--loss-burst", "1:25", "--drop", "3,10-12"])
        #expect(ImpairmentSummary.describe(burst) == "drop #3,10-12, burst loss p 1% r 25%: average 3.85%, bursts of 4")
    }
}
