/// What the runs of one condition add up to, beside the model's prediction for it.
public struct ConditionSummary: Sendable {
    public var condition: SweepCondition
    public var runs: Int
    public var succeeded: Int
    public var failed: Int
    /// Mean, minimum and maximum goodput over the successful runs (nil when none succeeded).
    public var meanGoodput: Double?
    public var minimumGoodput: Double?
    public var maximumGoodput: Double?
    public var meanSeconds: Double?
    public var meanRetransmissions: Double?
    public var meanTimeouts: Double?
    public var prediction: ModelPrediction
    /// Why this condition has no measurement (the network cannot measure the protocol).
    public var notMeasured: String?
    /// Distinct failure reasons, for the report.
    public var failures: [String]
    /// The congestion controls its runs reported using (for TCP the kernel's), sorted.
    public var congestionControls: [String]

    /// Measured mean over model, when both exist.
    public var modelRatio: Double? {
        guard let meanGoodput, prediction.goodputMbps > 0, prediction.goodputMbps.isFinite else { return nil }
        return meanGoodput / prediction.goodputMbps
    }

    /// One summary per condition of the plan, in plan order.
    public static func summarize(_ results: SweepResults) -> [ConditionSummary] {
        let plan = results.plan
        var byCondition: [SweepCondition: [RunRecord]] = [:]
        for record in results.records { byCondition[record.condition, default: []].append(record) }
        return plan.conditions.map { condition in
            let records = byCondition[condition] ?? []
            let good = records.filter(\.ok)
            let goodputs = good.compactMap(\.goodputMbps)
            func mean(_ values: [Double]) -> Double? { values.isEmpty ? nil : values.reduce(0, +) / Double(values.count) }
            var failures: [String] = []
            for reason in records.filter({ !$0.ok }).compactMap(\.failure) where !failures.contains(reason) {
                failures.append(reason)
            }
            return ConditionSummary(
                condition: condition, runs: records.count, succeeded: good.count, failed: records.count - good.count,
                meanGoodput: mean(goodputs), minimumGoodput: goodputs.min(), maximumGoodput: goodputs.max(),
                meanSeconds: mean(good.compactMap(\.seconds)),
                meanRetransmissions: mean(good.compactMap(\.retransmissions).map(Double.init)),
                meanTimeouts: mean(good.compactMap(\.timeouts).map(Double.init)),
                prediction: condition.prediction(mss: plan.mss, fixedTimeout: plan.fixedTimeout),
                notMeasured: records.isEmpty ? results.notMeasured[condition.labProtocol] : nil,
                failures: failures,
                congestionControls: Set(records.compactMap(\.congestionControl)).sorted())
        }
    }
}
