import Foundation

/// Everything a finished sweep measured, with what it could not measure and why.
public struct SweepResults: Sendable {
    public var plan: SweepPlan
    /// One record per run, in run order; failed runs included.
    public var records: [RunRecord]
    /// Protocols with no measurement on this network, and the reason shown instead.
    public var notMeasured: [LabProtocol: String]
    public var started: Date
    public var finished: Date

    public init(plan: SweepPlan, records: [RunRecord], notMeasured: [LabProtocol: String], started: Date, finished: Date) {
        self.plan = plan
        self.records = records
        self.notMeasured = notMeasured
        self.started = started
        self.finished = finished
    }
}

/// Runs a plan on a network, one run after another, reporting each to `progress`.
public enum SweepRunner {
    /// What is happening, for a progress line: a run about to start, or one just finished.
    public enum Event {
        case starting(index: Int, total: Int, condition: SweepCondition, repeatNumber: Int)
        case finished(index: Int, total: Int, record: RunRecord)
    }

    /// Runs every repeat of every condition whose protocol the network can measure.
    /// `shouldStop` is checked between runs (SIGINT): the results so far are returned.
    public static func run(_ plan: SweepPlan, on network: any SweepNetwork,
                           shouldStop: () -> Bool = { false },
                           progress: (Event) -> Void = { _ in }) -> SweepResults {
        let started = Date()
        var notMeasured: [LabProtocol: String] = [:]
        for labProtocol in plan.protocols {
            if let reason = network.notMeasuredReason(for: labProtocol) { notMeasured[labProtocol] = reason }
        }
        let runnable = plan.conditions.filter { notMeasured[$0.labProtocol] == nil }
        let total = runnable.count * plan.repeats
        var records: [RunRecord] = []
        var index = 0
        runs: for condition in runnable {
            for repeatNumber in 1...max(1, plan.repeats) {
                if shouldStop() { break runs }
                // The network may discover mid-sweep that it cannot measure (a link that does not come up).
                if let reason = network.notMeasuredReason(for: condition.labProtocol) {
                    notMeasured[condition.labProtocol] = reason
                    continue
                }
                index += 1
                progress(.starting(index: index, total: total, condition: condition, repeatNumber: repeatNumber))
                let record = network.run(condition, repeatNumber: repeatNumber, plan: plan)
                records.append(record)
                progress(.finished(index: index, total: total, record: record))
            }
        }
        // A network that became unusable mid-sweep: its failed records stay (they were runs),
        // and the protocols it never measured are reported as such.
        for labProtocol in plan.protocols where notMeasured[labProtocol] == nil {
            if let reason = network.notMeasuredReason(for: labProtocol) { notMeasured[labProtocol] = reason }
        }
        return SweepResults(plan: plan, records: records, notMeasured: notMeasured, started: started, finished: Date())
    }
}
