/// A parameter a sweep can vary, as an axis of its plots and tables.
public enum SweepDimension: String, Sendable, CaseIterable {
    case loss, window, delay, rate

    /// The condition's value on this axis in report units (%, packets, ms, Mbit/s); nil when
    /// it has none (TCP's window).
    public func value(of condition: SweepCondition) -> Double? {
        switch self {
        case .loss: condition.loss * 100
        case .window: condition.window.map(Double.init)
        case .delay: Double(condition.delay) / 1e6
        case .rate: Double(condition.rate) / 1e6
        }
    }

    /// The condition with this axis set to `value` (report units).
    public func setting(_ value: Double, in condition: SweepCondition) -> SweepCondition {
        var copy = condition
        switch self {
        case .loss: copy.loss = value / 100
        case .window: if copy.labProtocol.usesWindow { copy.window = max(1, Int(value.rounded())) }
        case .delay: copy.delay = UInt64(max(0, value * 1e6))
        case .rate: copy.rate = UInt64(max(0, value * 1e6))
        }
        return copy
    }

    /// Axis title with its unit.
    public var axisLabel: String {
        switch self {
        case .loss: "loss per direction (%)"
        case .window: "window (packets)"
        case .delay: "one-way delay (ms)"
        case .rate: "bottleneck rate (Mbit/s)"
        }
    }

    /// How a value reads in prose and titles: `5%`, `window 64`, `10 ms`, `50 Mbit/s`.
    public func describe(_ value: Double) -> String {
        switch self {
        case .loss: ReportNumbers.plain(value, decimals: 3) + "%"
        case .window: "window \(Int(value))"
        case .delay: ReportNumbers.plain(value, decimals: 3) + " ms"
        case .rate: value == 0 ? "unlimited rate" : ReportNumbers.plain(value, decimals: 3) + " Mbit/s"
        }
    }

    /// The plan's values on this axis, in report units.
    public func values(in plan: SweepPlan) -> [Double] {
        switch self {
        case .loss: plan.losses.map { $0 * 100 }
        case .window: plan.sweptWindows.map(Double.init)
        case .delay: plan.delays.map { Double($0) / 1e6 }
        case .rate: plan.rates.map { Double($0) / 1e6 }
        }
    }

    /// The axes the plan varies, in the order plots prefer them.
    public static func varying(in plan: SweepPlan) -> [SweepDimension] {
        allCases.filter { Set($0.values(in: plan)).count > 1 }
    }
}
