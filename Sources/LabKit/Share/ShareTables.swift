import CLIKit

/// results.csv and summary.json of a shared-bottleneck run.
public enum ShareTables {
    public static let csvHeader = "flow,protocol,cc,cc_used,window,start_s,goodput_mbps,competing_goodput_mbps,share,"
        + "retransmissions,srtt_median_ms,starved,rate_mbps,delay_ms,queue,duration_s,failure"

    static func number(_ value: Double?, decimals: Int = 4) -> String {
        value.map { ReportNumbers.plain($0, decimals: decimals) } ?? ""
    }

    /// One row per flow.
    public static func csv(_ results: ShareResults) -> String {
        var lines = [csvHeader]
        let plan = results.plan
        for (index, flow) in plan.flows.enumerated() {
            let progress = results.flows[index]
            let failure = progress.failure.map { "\"" + $0.replacingOccurrences(of: "\"", with: "\"\"") + "\"" } ?? ""
            let cells = [
                String(index + 1), flow.labProtocol.rawValue, flow.congestionControl ?? "", progress.congestionControl ?? "",
                flow.isTCP ? "" : (flow.window ?? plan.window).map(String.init) ?? "", number(progress.start, decimals: 3),
                number(results.goodputs[index]), number(results.competingGoodputs[index]), number(results.shares[index]),
                String(progress.retransmissions),
                number(progress.medianSmoothedRTT, decimals: 3), results.starved.contains(index) ? "true" : "false",
                ReportNumbers.mbps(plan.rate), ReportNumbers.milliseconds(plan.delay), String(plan.queueLimit),
                number(results.duration, decimals: 3), failure,
            ]
            lines.append(cells.joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    public static func summary(_ results: ShareResults, description: SweepDescription, plot: String) -> JSONValue {
        let plan = results.plan
        func value(_ number: Double?) -> JSONValue {
            guard let number, number.isFinite else { return .null }
            return .double((number * 1e6).rounded() / 1e6)
        }
        let environment = description.environment
        let flows: [JSONValue] = plan.flows.indices.map { index in
            let flow = plan.flows[index]
            let progress = results.flows[index]
            var members: [(key: String, value: JSONValue)] = [
                ("flow", .int(index + 1)), ("spec", .string(flow.description)), ("protocol", .string(flow.labProtocol.rawValue)),
                (flow.isTCP ? "tcp_cc" : "cc", progress.congestionControl.map { .string($0) } ?? .null),
                ("start_s", value(progress.start)), ("goodput_mbps", value(results.goodputs[index])),
                ("competing_goodput_mbps", value(results.competingGoodputs[index])), ("share", value(results.shares[index])),
                ("retransmissions", .int(progress.retransmissions)), ("srtt_median_ms", value(progress.medianSmoothedRTT)),
                ("starved", .bool(results.starved.contains(index))),
            ]
            if !flow.isTCP, let window = flow.window ?? plan.window { members.append(("window", .int(window))) }
            if let failure = progress.failure { members.append(("failure", .string(failure))) }
            return .object(members)
        }
        let queue = results.queue
        return .object([
            ("title", .string(description.title)),
            ("command", .string(description.command)),
            ("date", .string(environment.date)),
            ("network", "link"),
            ("environment", .object([("machine", .string(environment.machine)), ("kernel", .string(environment.kernel)),
                                     ("commit", .string(environment.commit)), ("build", .string(environment.build)),
                                     ("tcp_cc_default", environment.tcpCongestionControl.map { .string($0) } ?? .null)])),
            ("parameters", .object([
                ("flows", .array(plan.flows.map { .string($0.description) })),
                ("rate_mbps", value(Double(plan.rate) / 1e6)), ("delay_ms", value(Double(plan.delay) / 1e6)),
                ("queue", .int(plan.queueLimit)), ("bdp_packets", .int(SharePlan.bdpPackets(rate: plan.rate, delay: plan.delay))),
                ("duration_s", value(results.duration)), ("stagger_s", value(Double(plan.stagger) / 1e9)),
                ("window", plan.window.map { .int($0) } ?? .null), ("mss", .int(plan.mss)),
                ("sample_interval_ms", value(Double(plan.sampleInterval) / 1e6)),
                ("probe_interval_ms", value(Double(plan.probeInterval) / 1e6)), ("seed", .integer(plan.seed)),
            ])),
            ("jain_index", value(results.jainIndex)),
            ("utilisation", value(results.utilisation)),
            ("fair_share_mbps", value(results.fairShare)),
            ("starved", .array(results.starved.map { .int($0 + 1) })),
            ("queue_delay", .object([
                ("probe", "UDP ping across the link, the same queue as the flows"),
                ("base_rtt_ms", value(queue.base)), ("rtt_p50_ms", value(queue.loadedMedian)),
                ("rtt_p95_ms", value(queue.loaded95)), ("queueing_p50_ms", value(queue.queueingMedian)),
                ("queueing_p95_ms", value(queue.queueing95)), ("full_queue_ms", value(Double(plan.fullQueueDelay) / 1e6)),
                ("probes_sent", .int(queue.loadedSent)), ("probes_lost", .int(queue.loadedLost)),
            ])),
            ("flows", .array(flows)),
            ("seconds", value(results.finished.timeIntervalSince(results.started))),
            ("plots", .array([.string(plot)])),
            ("reading", .array(ShareReading.bullets(results).map { .string($0) })),
        ])
    }
}
