import Foundation
/// The "what the numbers show" paragraph of a report, computed from the measurements: how
/// each protocol changes along the swept parameter, which was fastest, how close each came
/// to its model, how much repeats varied, and what failed or was not measured.
public enum ResultsReading {
    public static func bullets(_ results: SweepResults, summaries: [ConditionSummary]) -> [String] {
        let plan = results.plan
        let axis = SweepDimension.varying(in: plan).first ?? .loss
        var lines: [String] = []
        lines += trends(plan: plan, summaries: summaries, axis: axis)
        if let fastest = fastest(plan: plan, summaries: summaries, axis: axis) { lines.append(fastest) }
        lines += causes(plan: plan, summaries: summaries, axis: axis)
        lines += modelAgreement(plan: plan, summaries: summaries, axis: axis)
        if let spread = repeatSpread(summaries, records: results.records) { lines.append(spread) }
        let failed = summaries.reduce(0) { $0 + $1.failed }
        if failed > 0 {
            let runs = summaries.reduce(0) { $0 + $1.runs }
            let worst = summaries.filter { $0.failed > 0 }.map { "\($0.condition.seriesName) at \(place($0.condition, axis: axis))" }
            let reasons = Set(summaries.flatMap(\.failures)).sorted().prefix(3).joined(separator: "; ")
            lines.append("\(failed) of \(runs) runs failed (\(worst.prefix(6).joined(separator: ", "))"
                + "\(worst.count > 6 ? ", …" : "")): \(reasons). They are in results.csv with ok=false and "
                + "left out of the means.")
        }
        lines += controlMismatches(plan: plan, summaries: summaries)
        for (labProtocol, reason) in results.notMeasured.sorted(by: { $0.key < $1.key }) {
            lines.append("\(labProtocol.title) was not measured on this network: \(reason).")
        }
        if lines.isEmpty { lines.append("No run succeeded, so there is nothing to read; see the failures in the table.") }
        return lines
    }

    /// Series whose runs reported another congestion control than the sweep asked for: the
    /// series name would otherwise claim what was not measured.
    static func controlMismatches(plan: SweepPlan, summaries: [ConditionSummary]) -> [String] {
        plan.series.compactMap { labProtocol, control in
            guard let asked = control.name else { return nil }
            let reported = Set(self.summaries(summaries, of: labProtocol, control).flatMap(\.congestionControls)).sorted()
            guard !reported.isEmpty, reported != [asked] else { return nil }
            return "\(SweepCondition.template(labProtocol, control).seriesName) asked for \(asked), but its runs reported "
                + "\(reported.joined(separator: ", ")); read its numbers as that."
        }
    }

    /// `26% of the first`, or `13× the first` for growth.
    static func share(_ ratio: Double) -> String {
        ratio >= 2 ? "\(ReportNumbers.plain(ratio, decimals: 1))× the first"
            : "\(ReportNumbers.plain(ratio * 100, decimals: ratio < 0.1 ? 1 : 0))% of the first"
    }

    /// A percentage with one decimal below 10 (`0.4%`, `12%`).
    static func percent(_ fraction: Double) -> String {
        ReportNumbers.plain(fraction * 100, decimals: fraction < 0.1 ? 1 : 0) + "%"
    }

    /// A series as prose names it: "Selective Repeat", "Selective Repeat (bbr)", "TCP cubic";
    /// the fixed window says so when controllers ran beside it.
    static func title(_ labProtocol: LabProtocol, _ control: SenderControl, plan: SweepPlan) -> String {
        switch control {
        case .rudp(.none): plan.hasControlledRUDP ? "\(labProtocol.title) (fixed window)" : labProtocol.title
        case .rudp(let algorithm): "\(labProtocol.title) (\(algorithm.rawValue))"
        case .tcp(nil): labProtocol.title
        case .tcp(let variant?): "TCP \(variant)"
        }
    }

    /// The summaries of one series.
    static func summaries(_ summaries: [ConditionSummary], of labProtocol: LabProtocol,
                          _ control: SenderControl) -> [ConditionSummary] {
        summaries.filter { $0.condition.labProtocol == labProtocol && $0.condition.control == control }
    }

    static func place(_ condition: SweepCondition, axis: SweepDimension) -> String {
        axis.value(of: condition).map { axis.describe($0) } ?? condition.label
    }

    /// Per series: first and last value along the axis, the share kept, and who fell fastest.
    static func trends(plan: SweepPlan, summaries: [ConditionSummary], axis: SweepDimension) -> [String] {
        var lines: [String] = []
        var retention: [(String, Double)] = []
        for (labProtocol, control) in plan.series {
            let name = title(labProtocol, control, plan: plan)
            let points = self.summaries(summaries, of: labProtocol, control)
                .compactMap { summary -> (x: Double, y: Double)? in
                    guard let x = axis.value(of: summary.condition), let y = summary.meanGoodput else { return nil }
                    return (x, y)
                }.sorted { $0.x < $1.x }
            guard let first = points.first, let last = points.last, points.count >= 2, first.x != last.x,
                  first.y > 0 else { continue }
            let kept = last.y / first.y
            retention.append((name, kept))
            var line = "\(name): \(ReportNumbers.goodput(first.y)) Mbit/s at \(axis.describe(first.x)), "
                + "\(ReportNumbers.goodput(last.y)) Mbit/s at \(axis.describe(last.x)) (\(share(kept)))"
            if let peak = points.max(by: { $0.y < $1.y }), peak.x != first.x, peak.x != last.x {
                line += "; highest, \(ReportNumbers.goodput(peak.y)) Mbit/s, at \(axis.describe(peak.x))"
            }
            if axis == .window || axis == .rate,
               let knee = points.first(where: { $0.y >= 0.9 * (points.map(\.y).max() ?? 0) }), knee.x != last.x {
                line += "; within 10% of its best from \(axis.describe(knee.x)) on"
            }
            lines.append(line + ".")
        }
        if axis == .loss || axis == .delay, retention.count >= 2,
           let worst = retention.min(by: { $0.1 < $1.1 }), let best = retention.max(by: { $0.1 < $1.1 }) {
            // Shares of each protocol's own first value: relative robustness, not speed.
            lines.append("Relative to its own goodput at the lowest \(axis == .loss ? "loss" : "delay"), "
                + "\(worst.0) kept the least (\(ReportNumbers.plain(worst.1 * 100, decimals: 1))%) and "
                + "\(best.0) the most (\(ReportNumbers.plain(best.1 * 100, decimals: 1))%); "
                + "this compares each series with itself, not their speeds.")
        }
        return lines
    }

    /// Which series had the highest mean goodput, condition by condition.
    static func fastest(plan: SweepPlan, summaries: [ConditionSummary], axis: SweepDimension) -> String? {
        struct Key: Hashable { let loss: Double; let delay: UInt64; let rate: UInt64; let window: Int? }
        var groups: [Key: [ConditionSummary]] = [:]
        var order: [Key] = []
        for summary in summaries where summary.meanGoodput != nil {
            let condition = summary.condition
            // Windows are compared only where protocols share one; stop-and-wait's is always 1.
            let key = Key(loss: condition.loss, delay: condition.delay, rate: condition.rate,
                          window: axis == .window ? condition.window : nil)
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(summary)
        }
        var wins: [String: [String]] = [:]
        var compared = 0
        var ties: [String] = []
        for key in order {
            guard let group = groups[key], group.count >= 2 else { continue }
            let ranked = group.sorted { ($0.meanGoodput ?? 0) > ($1.meanGoodput ?? 0) }
            let best = ranked[0]
            // Within 1% is a tie (e.g. every window mode is the same schedule without loss).
            if let second = ranked[1].meanGoodput, let top = best.meanGoodput, top - second <= 0.01 * top {
                ties.append(place(best.condition, axis: axis))
                continue
            }
            compared += 1
            wins[title(best.condition.labProtocol, best.condition.control, plan: plan), default: []]
                .append(place(best.condition, axis: axis))
        }
        let tieNote = ties.isEmpty ? "" : " Ties within 1%: \(ties.joined(separator: ", "))."
        guard compared > 0 else { return ties.isEmpty ? nil : "The series tied within 1% everywhere." }
        let ranked = wins.sorted { $0.value.count > $1.value.count || ($0.value.count == $1.value.count && $0.key < $1.key) }
        let leader = ranked[0]
        if leader.value.count == compared {
            return "\(leader.key) had the highest goodput in every condition with a clear winner (\(compared))."
                + tieNote
        }
        let others = ranked.dropFirst().map { "\($0.key) at \($0.value.joined(separator: ", "))" }.joined(separator: "; ")
        return "\(leader.key) had the highest goodput in \(leader.value.count) of \(compared) conditions; "
            + "elsewhere \(others)." + tieNote
    }

    /// The kernel TCP the runs measured, by the congestion control each connection reported:
    /// "the kernel's TCP BBR", or "the kernel's TCP (cubic, bbr)" when runs differ.
    static func measuredTCP(_ summaries: [ConditionSummary]) -> String {
        let names = Set(summaries.filter { $0.condition.labProtocol == .tcp }.flatMap(\.congestionControls)).sorted()
        switch names.count {
        case 0: return "the kernel's TCP (its congestion control unrecorded)"
        case 1: return "the kernel's TCP \(names[0].uppercased())"
        default: return "the kernel's TCP (\(names.joined(separator: ", ")))"
        }
    }

    /// Per series: mean and worst distance between measured mean and model.
    static func modelAgreement(plan: SweepPlan, summaries: [ConditionSummary], axis: SweepDimension) -> [String] {
        var parts: [String] = []
        for (labProtocol, control) in plan.series {
            let own = self.summaries(summaries, of: labProtocol, control)
            let name = SweepCondition.template(labProtocol, control).seriesName
            let ratios = own
                .compactMap { summary in summary.modelRatio.map { (summary, $0) } }
            guard !ratios.isEmpty else { continue }
            let deviations = ratios.map { abs($0.1 - 1) }
            let mean = deviations.reduce(0, +) / Double(deviations.count)
            // Far from its model, a percentage misleads: say how many times, and for TCP why.
            if let low = ratios.map(\.1).min(), let high = ratios.map(\.1).max(), high > 2 || low < 0.5 {
                var part = "\(name) ran at \(multiple(low))–\(multiple(high)) its model"
                if labProtocol == .tcp && high > 2 && own.first?.prediction.model.hasPrefix("Reno model") == true {
                    part += " (Mathis and PFTK model Reno halving its window at every loss in steady state; "
                        + "\(measuredTCP(own)) with SACK and RACK recovers most losses without that, "
                        + "so the models are a floor for it, not a prediction)"
                }
                parts.append(part)
                continue
            }
            let worst = ratios.max { abs($0.1 - 1) < abs($1.1 - 1) }!
            let direction = worst.1 >= 1 ? "above" : "below"
            parts.append("\(name) within \(percent(mean)) on average (worst: "
                + "\(percent(abs(worst.1 - 1))) \(direction) at \(place(worst.0.condition, axis: axis)))")
        }
        guard !parts.isEmpty else { return [] }
        return ["Against the models (measured mean ÷ model): " + parts.joined(separator: "; ") + "."]
    }

    /// `0.63×`, `47×`: a ratio for the reading.
    static func multiple(_ ratio: Double) -> String {
        ratio >= 10 ? "\(Int(ratio.rounded()))×" : String(format: "%.2g×", ratio)
    }

    /// The largest (max − min)/mean over repeats of one condition, with the slowest run named
    /// and what set it apart (its timeouts or retransmissions against the others').
    static func repeatSpread(_ summaries: [ConditionSummary], records: [RunRecord] = []) -> String? {
        let spreads = summaries.compactMap { summary -> (ConditionSummary, Double)? in
            guard summary.succeeded >= 2, let mean = summary.meanGoodput, mean > 0,
                  let low = summary.minimumGoodput, let high = summary.maximumGoodput else { return nil }
            return (summary, (high - low) / mean)
        }
        guard let widest = spreads.max(by: { $0.1 < $1.1 }) else { return nil }
        var text = "The widest spread between repeats was \(percent(widest.1)) of the mean "
            + "(\(widest.0.condition.label))"
        let runs = records.filter { $0.ok && $0.condition == widest.0.condition && $0.goodputMbps != nil }
        if widest.1 >= 0.1, runs.count >= 2, let slowest = runs.min(by: { $0.goodputMbps! < $1.goodputMbps! }) {
            let others = runs.filter { $0.repeatNumber != slowest.repeatNumber }
            text += ": repeat \(slowest.repeatNumber) was the slowest, \(ReportNumbers.goodput(slowest.goodputMbps!)) Mbit/s"
            if let why = difference(slowest, from: others) { text += ", \(why)" }
        }
        return text + "; the bars in the plots show each condition's min–max."
    }

    /// What the slowest run had more of than the others: timeouts first (each costs an RTO of
    /// silence), then retransmissions; nil when it had neither (the machine, not the network).
    static func difference(_ run: RunRecord, from others: [RunRecord]) -> String? {
        func mean(_ values: [Int]) -> Double { values.isEmpty ? 0 : Double(values.reduce(0, +)) / Double(values.count) }
        if let timeouts = run.timeouts {
            let usual = mean(others.compactMap(\.timeouts))
            if Double(timeouts) > usual + 0.5 {
                return "with \(timeouts) timeout\(timeouts == 1 ? "" : "s") against \(ReportNumbers.plain(usual, decimals: 1)) "
                    + "in the others: each is a retransmission timeout of silence, where its seed's losses fell"
            }
        }
        if let retransmissions = run.retransmissions {
            let usual = mean(others.compactMap(\.retransmissions))
            if Double(retransmissions) > usual * 1.2 + 1 {
                return "with \(retransmissions) retransmissions against \(ReportNumbers.plain(usual, decimals: 1)) "
                    + "in the others (its seed lost more, or a burst)"
            }
        }
        return run.timeouts == nil ? nil
            : "with no more timeouts or retransmissions than the others: the hosts (scheduling, other load), not the network"
    }

    /// Per series, what limited it where: the window, the rate or loss, with the bound computed
    /// from the condition (W × MSS per round trip; the rate) and the share of it measured.
    /// Conditions with the same cause and bound are read together.
    static func causes(plan: SweepPlan, summaries: [ConditionSummary], axis: SweepDimension) -> [String] {
        var lines: [String] = []
        for (labProtocol, control) in plan.series {
            var groups: [(cause: String, bound: String, places: [String], shares: [String], timeouts: [String])] = []
            for summary in self.summaries(summaries, of: labProtocol, control) {
                guard let cause = LimitingFactor.of(summary, mss: plan.mss), let measured = summary.meanGoodput else { continue }
                let bound: String
                let share: String
                var timeouts: String?
                switch cause {
                case .window(let mbps, let packets, let path):
                    bound = "\(packets) × \(plan.mss) B per \(ReportNumbers.milliseconds(2 * summary.condition.delay)) ms "
                        + "round trip allow \(ReportNumbers.goodput(mbps)) Mbit/s"
                        + (path.map { ", below the \(ReportNumbers.goodput(Double(summary.condition.rate) / 1e6)) Mbit/s rate "
                            + "(the path holds \($0) packets)" } ?? "")
                    share = percent(measured / mbps)
                case .rate(let mbps):
                    bound = "the \(ReportNumbers.goodput(mbps)) Mbit/s bottleneck"
                    share = percent(measured / mbps)
                case .loss(let mbps, let achieved):
                    bound = "the \(ReportNumbers.goodput(mbps)) Mbit/s that window and rate allow"
                    share = percent(achieved)
                    if let mean = summary.meanTimeouts, mean > 0 { timeouts = ReportNumbers.plain(mean, decimals: 1) }
                }
                let place = self.place(summary.condition, axis: axis)
                if let index = groups.firstIndex(where: { $0.cause == cause.name && $0.bound == bound }) {
                    groups[index].places.append(place)
                    groups[index].shares.append(share)
                    if let timeouts { groups[index].timeouts.append(timeouts) }
                } else {
                    groups.append((cause.name, bound, [place], [share], timeouts.map { [$0] } ?? []))
                }
            }
            guard !groups.isEmpty else { continue }
            let parts = groups.map { group in
                "\(group.cause) at \(group.places.joined(separator: ", ")): \(group.bound); measured "
                    + group.shares.joined(separator: ", ") + " of that"
                    + (group.timeouts.isEmpty ? "" : ", with \(group.timeouts.joined(separator: ", ")) timeouts a run")
            }
            lines.append("What limited \(title(labProtocol, control, plan: plan)): " + parts.joined(separator: "; ") + ".")
        }
        return lines
    }
}
