import Foundation

/// Writes a finished shared-bottleneck run into its directory: results.csv, summary.json,
/// goodput.svg and README.md.
public enum ShareReport {
    public static let plotName = "goodput.svg"

    @discardableResult
    public static func write(_ results: ShareResults, description: SweepDescription, to directory: String) throws -> [String] {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let chart = ShareChart(title: description.title, subtitle: subtitle(results), results: results)
        let files = [
            (SweepReport.csvName, ShareTables.csv(results)),
            (SweepReport.summaryName, PrettyJSON.text(ShareTables.summary(results, description: description, plot: plotName))),
            (plotName, chart.render()),
            (SweepReport.readmeName, readme(results, description: description)),
        ]
        return try SweepReport.write(files, into: directory)
    }

    /// `20 Mbit/s, 10 ms one-way, queue 34 packets (≈ 1 BDP), 30 s, flows started together`.
    static func subtitle(_ results: ShareResults) -> String {
        let plan = results.plan
        let bdp = SharePlan.bdpPackets(rate: plan.rate, delay: plan.delay)
        let queue = "queue \(plan.queueLimit) packets" + (plan.queueLimit == bdp ? " (≈ 1 BDP)" : " (BDP \(bdp))")
        let start = plan.stagger == 0 ? "flows started together"
            : "flows started \(ReportNumbers.plain(Double(plan.stagger) / 1e9, decimals: 2)) s apart"
        return "\(ReportNumbers.mbps(plan.rate)) Mbit/s, \(ReportNumbers.milliseconds(plan.delay)) ms one-way, \(queue), "
            + "\(ReportNumbers.plain(results.duration, decimals: 1)) s, \(start)"
    }

    static func readme(_ results: ShareResults, description: SweepDescription) -> String {
        let plan = results.plan
        var lines = ["# \(description.title)", ""]
        lines.append("\(plan.flows.count) flow\(plan.flows.count == 1 ? "" : "s") (\(plan.flows.map(\.description).joined(separator: ", "))) "
            + "sharing one bottleneck, measured by `rudp-lab share`: \(subtitle(results)).")
        lines.append("")
        let took = ReportNumbers.plain(results.finished.timeIntervalSince(results.started), decimals: 1)
        lines += description.commandAndEnvironment(
            network: "link: processes in two network namespaces joined by lossproxy's TUN link (rate and tail-drop queue "
                + "each way), every flow through the same bottleneck", took: took)
        lines.append("")
        lines.append("## Results")
        lines.append("")
        lines.append("| | |")
        lines.append("|---|---|")
        lines.append("| Jain's fairness index (while all flows ran) | \(results.jainIndex.map { ReportNumbers.fixed($0, decimals: 3) } ?? "–") |")
        lines.append("| link utilisation (all goodput ÷ link rate) | \(results.utilisation.map { ShareReading.percent($0) } ?? "–") |")
        let queue = results.queue
        func ms(_ value: Double?) -> String { value.map { ReportNumbers.plain($0, decimals: 1) + " ms" } ?? "–" }
        lines.append("| probe RTT: idle base / p50 / p95 | \(ms(queue.base)) / \(ms(queue.loadedMedian)) / \(ms(queue.loaded95)) |")
        lines.append("| queueing delay p50 / p95 (full queue: \(ms(Double(plan.fullQueueDelay) / 1e6))) | "
            + "\(ms(queue.queueingMedian)) / \(ms(queue.queueing95)) |")
        lines.append("| probes lost while the flows ran | \(queue.loadedLost) of \(queue.loadedSent) |")
        lines.append("")
        lines.append("| flow | sender | congestion control used | starts | goodput | while all ran | share | retransmissions | sender's RTT (median) |")
        lines.append("|---:|---|---|---:|---:|---:|---:|---:|---:|")
        for index in plan.flows.indices {
            let flow = results.flows[index]
            let cells = [
                String(index + 1), "`\(plan.flows[index])`", flow.congestionControl ?? "unrecorded",
                ReportNumbers.plain(flow.start, decimals: 2) + " s", ShareReading.mbps(results.goodputs[index]),
                ShareReading.mbps(results.competingGoodputs[index]), ShareReading.percent(results.shares[index]),
                String(flow.retransmissions), ms(flow.medianSmoothedRTT),
            ]
            lines.append("| " + cells.joined(separator: " | ") + " |")
        }
        lines.append("")
        lines.append("![\(description.title)](\(plotName))")
        lines.append("")
        lines.append("## Reading")
        lines.append("")
        for bullet in ShareReading.bullets(results) { lines.append("- " + bullet) }
        lines.append("")
        lines.append("## How it is measured")
        lines.append("")
        lines.append("- Goodput: each rudp-send reports every \(ReportNumbers.milliseconds(plan.sampleInterval)) ms "
            + "(`--interval`) the file bytes the receiver acknowledged (for TCP, what the receiver's kernel acknowledged: "
            + "bytes written minus the socket's unacknowledged ones); a flow's goodput is the bytes acknowledged in a span "
            + "over its length (up to its last report, at most one interval before the end). Senders send a file "
            + "larger than the link could carry and are stopped at the end.")
        lines.append("- Jain's index (Σx)² / (n·Σx²) is taken over the goodputs while every flow ran; utilisation is the flows' "
            + "goodputs summed (each weighed by the part of the run it sent in) ÷ the link rate. A flow below "
            + "\(ShareReading.percent(ShareResults.starvedBelow)) of its fair share (link rate ÷ flows) counts as starved.")
        lines.append("- Queueing delay: a UDP ping (`rudp-lab share-probe`, a few dozen bytes every "
            + "\(ReportNumbers.milliseconds(plan.probeInterval)) ms) crosses the same link and waits in the same queue; "
            + "the base is its median RTT on the idle link in the second before the first flow, the queueing delay its "
            + "RTT while the flows ran minus that base. A full queue of \(plan.queueLimit) packets of "
            + "\(SharePlan.packetBytes) bytes takes \(ms(Double(plan.fullQueueDelay) / 1e6)) to drain.")
        lines.append("")
        lines.append("## Files")
        lines.append("")
        lines.append("- `results.csv`: one row per flow (`\(ShareTables.csvHeader)`).")
        lines.append("- `summary.json`: parameters, environment, the figures above, per flow, and this reading.")
        lines.append("- `\(plotName)`: goodput of each flow over time, and the probe's RTT.")
        lines.append("")
        return lines.joined(separator: "\n")
    }
}
