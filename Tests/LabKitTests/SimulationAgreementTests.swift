import Testing
@testable import LabKit
import RUDP

/// A `sim` sweep agrees with the models within 10% where their assumptions hold: independent
/// losses, a fixed timeout, windows whose losses the SACK blocks can describe. The simulation
/// is deterministic (seeded), so these are exact checks, not statistical hopes.
@Suite struct SimulationAgreementTests {
    static func plan(_ protocols: [LabProtocol], losses: [Double], window: Int, size: Int, repeats: Int) -> SweepPlan {
        var plan = SweepPlan(protocols: protocols, losses: losses, delays: [10_000_000], rates: [50_000_000],
                             windows: [window], size: size, repeats: repeats, network: .sim)
        plan.retransmission = .fixed(100_000_000)
        return plan
    }

    static func ratios(_ plan: SweepPlan) -> [(String, Double)] {
        let results = SweepRunner.run(plan, on: SimulatedNetwork())
        return ConditionSummary.summarize(results).map { ($0.condition.label, $0.modelRatio ?? 0) }
    }

    @Test func lossFreeTransfersMatchTheSchedule() {
        // Stop-and-wait, a window smaller than the pipe, and one that fills it: exact to 1%.
        for (labProtocol, window) in [(LabProtocol.stopAndWait, 1), (.goBackN, 8), (.selectiveRepeat, 16), (.goBackN, 256),
                                      (.selectiveRepeat, 256)] {
            for (label, ratio) in Self.ratios(Self.plan([labProtocol], losses: [0], window: window, size: 240_000, repeats: 1)) {
                #expect(abs(ratio - 1) < 0.01, "\(label): measured/model = \(ratio)")
            }
        }
    }

    @Test func stopAndWaitUnderLossFollowsTheTimeoutFormula() {
        let plan = Self.plan([.stopAndWait], losses: [0.01, 0.05], window: 1, size: 360_000, repeats: 8)
        for (label, ratio) in Self.ratios(plan) {
            #expect(abs(ratio - 1) < 0.10, "\(label): measured/model = \(ratio)")
        }
    }

    @Test func selectiveRepeatUnderLowLossFollowsItsModel() {
        let plan = Self.plan([.selectiveRepeat], losses: [0.01, 0.02, 0.05], window: 16, size: 600_000, repeats: 8)
        for (label, ratio) in Self.ratios(plan) {
            #expect(abs(ratio - 1) < 0.10, "\(label): measured/model = \(ratio)")
        }
    }

    @Test func goBackNUnderLossFollowsTheEfficiencyFormula() {
        let plan = Self.plan([.goBackN], losses: [0.02], window: 16, size: 600_000, repeats: 8)
        for (label, ratio) in Self.ratios(plan) {
            #expect(abs(ratio - 1) < 0.10, "\(label): measured/model = \(ratio)")
        }
    }
}
