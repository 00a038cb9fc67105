import Foundation
import Testing
@testable import LabKit

/// The reading names what held each series down, from the run's own numbers: the window
/// (W × MSS per round trip below the rate), the rate, or loss; and which repeat was slow, and why.
@Suite struct CauseReadingTests {
    static func reading(protocols: [LabProtocol], losses: [Double], windows: [Int], repeats: Int = 1) -> [String] {
        var plan = SweepPlan(protocols: protocols, losses: losses, delays: [25_000_000], rates: [20_000_000],
                             windows: windows, size: 400_000, repeats: repeats, network: .sim)
        plan.seed = 3
        let results = SweepRunner.run(plan, on: SimulatedNetwork())
        return ResultsReading.bullets(results, summaries: ConditionSummary.summarize(results))
    }

    @Test("window 64 on a 104-packet path is window-limited, and the reading does the arithmetic")
    func aWindowBelowThePathIsNamed() throws {
        let line = try #require(Self.reading(protocols: [.goBackN], losses: [0], windows: [64])
            .first { $0.hasPrefix("What limited Go-Back-N") })
        #expect(line.contains("window-limited at 0%: 64 × 1200 B per 50 ms round trip allow 12.3 Mbit/s, "
            + "below the 20.0 Mbit/s rate (the path holds 104 packets)"), "\(line)")
    }

    @Test("a window larger than the path is rate-limited; heavy loss is loss-limited, with its timeouts")
    func rateAndLossAreNamed() throws {
        let line = try #require(Self.reading(protocols: [.selectiveRepeat], losses: [0, 0.2], windows: [256])
            .first { $0.hasPrefix("What limited Selective Repeat") })
        #expect(line.contains("rate-limited at 0%: the 20.0 Mbit/s bottleneck"), "\(line)")
        #expect(line.contains("loss-limited at 20%: the 20.0 Mbit/s that window and rate allow"), "\(line)")
        #expect(line.contains("timeouts a run"), "\(line)")
    }

    @Test("TCP's window is the kernel's: only rate or loss is said of it")
    func tcpIsNeverCalledWindowLimited() {
        let summary = ConditionSummary.summarize(SweepResults(
            plan: SweepPlan(protocols: [.tcp], losses: [0], delays: [25_000_000], rates: [20_000_000], windows: [64],
                            size: 1_000, repeats: 1, network: .link),
            records: [RunRecord(condition: SweepCondition(labProtocol: .tcp, loss: 0, delay: 25_000_000, rate: 20_000_000,
                                                          window: nil, size: 1_000),
                                repeatNumber: 1, seconds: 1, goodputMbps: 18, retransmissions: nil, timeouts: nil, ok: true)],
            notMeasured: [:], started: Date(), finished: Date()))
        #expect(LimitingFactor.of(summary[0], mss: 1200) == .rate(boundMbps: 20))
    }

    @Test("the slowest of repeats that disagree is named with what it had more of")
    func theSlowRepeatIsExplained() {
        let condition = SweepCondition(labProtocol: .selectiveRepeat, loss: 0.05, delay: 10_000_000, rate: 0, window: 64,
                                       size: 1_000_000)
        func run(_ number: Int, _ goodput: Double, timeouts: Int) -> RunRecord {
            RunRecord(condition: condition, repeatNumber: number, seconds: 1, goodputMbps: goodput, retransmissions: 40,
                      timeouts: timeouts, ok: true)
        }
        let records = [run(1, 20, timeouts: 0), run(2, 8, timeouts: 5), run(3, 21, timeouts: 1)]
        let plan = SweepPlan(protocols: [.selectiveRepeat], losses: [0.05], delays: [10_000_000], rates: [0],
                             windows: [64], size: 1_000_000, repeats: 3, network: .proxy)
        let results = SweepResults(plan: plan, records: records, notMeasured: [:], started: Date(), finished: Date())
        let spread = ResultsReading.repeatSpread(ConditionSummary.summarize(results), records: records)
        #expect(spread?.contains("repeat 2 was the slowest, 8.00 Mbit/s, with 5 timeouts against 0.5 in the others") == true,
                "\(spread ?? "nil")")
    }
}
