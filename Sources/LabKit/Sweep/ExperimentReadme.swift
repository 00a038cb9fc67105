/// The README.md of one experiment directory: command, environment, table, plots and reading.
public enum ExperimentReadme {
    public static func text(_ results: SweepResults, summaries: [ConditionSummary], description: SweepDescription,
                            plots: [PlotFile]) -> String {
        let plan = results.plan
        var lines: [String] = []
        lines.append("# \(description.title)")
        lines.append("")
        lines.append("Goodput of \(plan.protocols.map(\.title).joined(separator: ", ")) measured by `rudp-lab sweep`, "
            + "beside the model of each series (dashed in the plots; formulas in docs/MODELS.md). "
            + senders(plan))
        lines.append("")
        let took = results.finished.timeIntervalSince(results.started)
        lines += description.commandAndEnvironment(network: SweepDescription.networkDescription(plan.network),
                                                   took: ReportNumbers.plain(took, decimals: 1), extraRows: description.farEnd)
        lines.append("")
        lines.append("## Results")
        lines.append("")
        lines.append("Loss is per direction, delay one-way (RTT ≈ 2 × delay), goodput = file bytes × 8 / seconds / 10⁶ "
            + "from the first packet to the receiver's confirmation. Mean (min–max) over the successful repeats.")
        lines.append("")
        lines += table(summaries)
        lines.append("")
        if !plots.isEmpty {
            lines.append("## Plots")
            lines.append("")
            for plot in plots {
                lines.append("![\(plot.title)](\(plot.fileName))")
                lines.append("")
            }
        }
        lines.append("## Reading")
        lines.append("")
        for bullet in ResultsReading.bullets(results, summaries: summaries) { lines.append("- " + bullet) }
        lines.append("")
        lines.append("## Files")
        lines.append("")
        lines.append("- `results.csv`: one row per run (`\(ResultsCSV.header)`); loss in %, delay in ms one-way, "
            + "rate in Mbit/s (0 = unlimited), window in packets (empty for TCP; a cap on the congestion window for a "
            + "controlled sender), size in bytes, cc the congestion control the run reported (for TCP the kernel's, "
            + "read back from the connection); failed runs have ok=false and no goodput.")
        lines.append("- `summary.json`: per series (protocol and congestion control) and condition, mean/min/max goodput, "
            + "the model's value, runs ok and failed.")
        for plot in plots { lines.append("- `\(plot.fileName)`") }
        lines.append("")
        return lines.joined(separator: "\n")
    }

    /// Which congestion control each series ran, said once: the textbook sweeps state that
    /// their senders are the fixed window the Kurose-Ross formulas describe.
    static func senders(_ plan: SweepPlan) -> String {
        let rudp = plan.protocols.filter { $0 != .tcp }
        var sentences: [String] = []
        if !plan.hasControlledRUDP {
            if !rudp.isEmpty {
                sentences.append("Every RUDP sender (\(rudp.map(\.rawValue).joined(separator: ", "))) ran the fixed window "
                    + "(`--cc none`): the textbook sender that the Kurose-Ross models describe, no congestion control.")
            }
            let tcp = plan.protocols.contains(.tcp) ? plan.controls(for: .tcp) : []
            if tcp == [.tcp(nil)] {
                sentences.append("TCP ran the system's default congestion control; the cc column of results.csv "
                    + "says which each connection used.")
            } else if !tcp.isEmpty {
                sentences.append("TCP ran " + tcp.map { "`\(SweepCondition.template(.tcp, $0).seriesName)` "
                    + "(\($0.title))" }.joined(separator: ", ") + ".")
            }
            return sentences.joined(separator: " ")
        }
        let parts = plan.series.map { labProtocol, control in
            "`\(SweepCondition.template(labProtocol, control).seriesName)`: \(control.title)"
        }
        return "Series: " + parts.joined(separator: "; ") + ". A controlled sender's window is a cap; its model is "
            + "that controller's (Reno: PFTK, CUBIC: RFC 9438's response function, BBR: its pacing rate), the fixed "
            + "window's the textbook one."
    }

    static func table(_ summaries: [ConditionSummary]) -> [String] {
        var lines = ["| protocol | cc | loss | delay | rate | window | runs ok | goodput Mbit/s | model Mbit/s | measured/model | retransmissions | timeouts |",
                     "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for summary in summaries {
            let condition = summary.condition
            var cells = [condition.labProtocol.rawValue, condition.control.name ?? "default",
                         ReportNumbers.percent(condition.loss),
                         ReportNumbers.milliseconds(condition.delay) + " ms",
                         condition.rate == 0 ? "unlimited" : ReportNumbers.mbps(condition.rate) + " Mbit/s",
                         condition.window.map(String.init) ?? "–"]
            if summary.notMeasured != nil {
                cells += ["not measured", "–", ReportNumbers.goodput(summary.prediction.goodputMbps), "–", "–", "–"]
                lines.append("| " + cells.joined(separator: " | ") + " |")
                continue
            }
            cells.append("\(summary.succeeded)/\(summary.runs)")
            if let mean = summary.meanGoodput, let low = summary.minimumGoodput, let high = summary.maximumGoodput {
                cells.append(low == high ? ReportNumbers.goodput(mean)
                    : "\(ReportNumbers.goodput(mean)) (\(ReportNumbers.goodput(low))–\(ReportNumbers.goodput(high)))")
            } else {
                cells.append("failed")
            }
            cells.append(ReportNumbers.goodput(summary.prediction.goodputMbps))
            cells.append(summary.modelRatio.map { ReportNumbers.fixed($0, decimals: 2) } ?? "–")
            cells.append(summary.meanRetransmissions.map { ReportNumbers.plain($0, decimals: 1) } ?? "–")
            cells.append(summary.meanTimeouts.map { ReportNumbers.plain($0, decimals: 1) } ?? "–")
            lines.append("| " + cells.joined(separator: " | ") + " |")
        }
        let reasons = Set(summaries.compactMap(\.notMeasured)).sorted()
        if !reasons.isEmpty {
            lines.append("")
            for reason in reasons { lines.append("Not measured: \(reason). The model column still shows what theory predicts.") }
        }
        return lines
    }
}
