import CLIKit
import Foundation

/// One plot file of a sweep report.
public struct PlotFile: Sendable {
    public var fileName: String
    public var title: String
    public var svg: String
}

/// Builds a sweep's plots: goodput against the swept parameter (loss first, else window,
/// delay or rate), one line per protocol with its model dashed beside it, one plot per
/// combination of the other swept parameters.
public enum GoodputPlots {
    /// Colour-blind-safe colours (Okabe & Ito), one per protocol.
    public static func color(_ labProtocol: LabProtocol) -> String {
        switch labProtocol {
        case .stopAndWait: "#E69F00"
        case .goBackN: "#0072B2"
        case .selectiveRepeat: "#009E73"
        case .tcp: "#CC79A7"
        }
    }

    /// Colours for a protocol's further series (`sr bbr` beside `sr`), in order: the rest of
    /// Okabe & Ito's palette.
    static let extraColors = ["#D55E00", "#56B4E9", "#000000", "#F0E442"]

    /// Each series' colour by name: a protocol's first series keeps the protocol's colour,
    /// further ones take the extra colours in turn.
    public static func colors(_ plan: SweepPlan) -> [String: String] {
        var result: [String: String] = [:]
        var seen = Set<LabProtocol>()
        var extra = 0
        for (labProtocol, control) in plan.series {
            let name = SweepCondition.template(labProtocol, control).seriesName
            if seen.insert(labProtocol).inserted {
                result[name] = color(labProtocol)
            } else {
                result[name] = extraColors[extra % extraColors.count]
                extra += 1
            }
        }
        return result
    }

    /// What the plot titles say about the senders: "fixed window" when every RUDP sender ran
    /// the textbook window (`--cc none`), nothing when controllers ran (the legend names them).
    static func senderNote(_ plan: SweepPlan) -> String? {
        plan.protocols.contains(where: { $0 != .tcp }) && !plan.hasControlledRUDP ? "fixed window" : nil
    }

    /// The most plots one sweep gets (combinations beyond it are in the table only).
    public static let maximumPlots = 12

    public static func build(_ results: SweepResults, summaries: [ConditionSummary]) -> [PlotFile] {
        let plan = results.plan
        let varying = SweepDimension.varying(in: plan)
        let axis = varying.first ?? .loss
        let others = varying.filter { $0 != axis }
        var plots: [PlotFile] = []
        for combination in combinations(of: others, in: plan).prefix(maximumPlots) {
            let matching = summaries.filter { summary in
                combination.allSatisfy { dimension, value in
                    guard let own = dimension.value(of: summary.condition) else { return true }
                    // Stop-and-wait's window is always 1: it belongs to every window's plot.
                    return (dimension == .window && summary.condition.labProtocol == .stopAndWait) || own == value
                }
            }
            plots.append(plot(axis: axis, combination: combination, summaries: matching, results: results))
        }
        return plots
    }

    static func combinations(of dimensions: [SweepDimension], in plan: SweepPlan) -> [[(SweepDimension, Double)]] {
        var result: [[(SweepDimension, Double)]] = [[]]
        for dimension in dimensions {
            var values: [Double] = []
            for value in dimension.values(in: plan) where !values.contains(value) { values.append(value) }
            result = result.flatMap { prefix in values.map { prefix + [(dimension, $0)] } }
        }
        return result
    }

    static func plot(axis: SweepDimension, combination: [(SweepDimension, Double)], summaries: [ConditionSummary],
                     results: SweepResults) -> PlotFile {
        let plan = results.plan
        var series: [ChartSeries] = []
        let colors = colors(plan)
        for (labProtocol, control) in plan.series {
            let own = summaries.filter {
                $0.condition.labProtocol == labProtocol && $0.condition.control == control && axis.value(of: $0.condition) != nil
            }
            let points = own.compactMap { summary -> ChartPoint? in
                guard let x = axis.value(of: summary.condition), let mean = summary.meanGoodput else { return nil }
                return ChartPoint(x: x, mean: mean, low: summary.minimumGoodput ?? mean, high: summary.maximumGoodput ?? mean)
            }.sorted { $0.x < $1.x }
            guard !points.isEmpty, let template = own.first?.condition else { continue }
            let xs = modelSamples(axis: axis, values: own.compactMap { axis.value(of: $0.condition) },
                                  labProtocol: labProtocol)
            let model = xs.map { x -> (x: Double, y: Double) in
                let condition = axis.setting(x, in: template)
                return (x, condition.prediction(mss: plan.mss, fixedTimeout: plan.fixedTimeout).goodputMbps)
            }.filter { $0.y.isFinite }
            let name = template.seriesName
            series.append(ChartSeries(name: name, color: colors[name] ?? color(labProtocol), points: points,
                                      model: model, modelName: own[0].prediction.model))
        }
        let fixed = fixedDescription(excluding: axis, combination: combination, plan: plan)
        let suffix = combination.map { "-\($0.0.rawValue)-\(ReportNumbers.plain($0.1, decimals: 3))" }.joined()
        let title = "Goodput vs \(axis == .loss ? "loss" : axis.rawValue) "
            + "(\(([plan.network.rawValue] + [senderNote(plan)].compactMap { $0 }).joined(separator: ", ")))"
        var chart = LineChart(title: title, subtitle: fixed, xLabel: axis.axisLabel, yLabel: "goodput (Mbit/s)",
                              xKind: xKind(axis, values: axis.values(in: plan)), series: series)
        for (labProtocol, reason) in results.notMeasured.sorted(by: { $0.key < $1.key }) {
            chart.notes.append("\(labProtocol) not measured: \(reason)")
        }
        let failed = summaries.reduce(0) { $0 + $1.failed }
        if failed > 0 { chart.notes.append("\(failed) failed run\(failed == 1 ? "" : "s") not drawn (see the table)") }
        return PlotFile(fileName: "goodput-vs-\(axis.rawValue)\(suffix).svg", title: title + ", " + fixed,
                        svg: chart.render())
    }

    /// Windows and wide delay or rate ranges read best on a log axis; loss stays linear (it starts at 0).
    static func xKind(_ axis: SweepDimension, values: [Double]) -> PlotScale.Kind {
        let positive = values.filter { $0 > 0 }
        switch axis {
        case .loss: return .linear
        case .window:
            guard let low = positive.min(), let high = positive.max(), high / low >= 8 else { return .linear }
            return .log(base: 2)
        case .delay, .rate:
            guard positive.count == values.count, let low = positive.min(), let high = positive.max(),
                  high / low >= 20 else { return .linear }
            return .log(base: 10)
        }
    }

    /// Where to evaluate the model: densely across the measured range.
    static func modelSamples(axis: SweepDimension, values: [Double], labProtocol: LabProtocol) -> [Double] {
        guard let low = values.min(), let high = values.max(), high > low else { return values }
        if axis == .window {
            guard labProtocol.usesWindow else { return [] }
            var windows: [Double] = []
            var value = max(low, 1)
            while value < high {
                windows.append(value.rounded())
                value *= 1.08
            }
            windows.append(high)
            return windows.reduce(into: [Double]()) { if $0.last != $1 { $0.append($1) } }
        }
        let steps = 80
        if low > 0 && high / low >= 20 {
            return (0...steps).map { low * pow(high / low, Double($0) / Double(steps)) }
        }
        return (0...steps).map { low + (high - low) * Double($0) / Double(steps) }
    }

    /// "delay 10 ms, 50 Mbit/s, window 64, 1 MB, mss 1200, RTO auto": what every point shares.
    static func fixedDescription(excluding axis: SweepDimension, combination: [(SweepDimension, Double)],
                                 plan: SweepPlan) -> String {
        var parts: [String] = []
        for dimension in SweepDimension.allCases where dimension != axis {
            if let chosen = combination.first(where: { $0.0 == dimension }) {
                parts.append(dimension == .delay || dimension == .loss ? "\(dimension.rawValue) " + dimension.describe(chosen.1)
                                 : dimension.describe(chosen.1))
            } else if let only = dimension.values(in: plan).first {
                parts.append(dimension == .delay || dimension == .loss ? "\(dimension.rawValue) " + dimension.describe(only)
                                 : dimension.describe(only))
            }
        }
        if let cap = plan.separateControlledWindow, let index = parts.firstIndex(where: { $0.hasPrefix("window ") }) {
            parts[index] += " (controlled senders: cap \(cap))"
        }
        parts.append(HumanFormat.bytes(UInt64(plan.size)))
        parts.append("MSS \(plan.mss)")
        if let fixed = plan.fixedTimeout {
            parts.append("RTO \(ReportNumbers.plain(fixed * 1000, decimals: 3)) ms")
        } else {
            parts.append("RTO adaptive")
        }
        parts.append("\(plan.repeats) repeat\(plan.repeats == 1 ? "" : "s")")
        return parts.joined(separator: ", ")
    }
}
