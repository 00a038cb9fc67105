import CLIKit
import Impairment

/// summary.json: the experiment, and per protocol × condition the mean/min/max goodput, the
/// model's value and how many runs succeeded or failed.
public enum SummaryJSON {
    public static func value(_ results: SweepResults, summaries: [ConditionSummary], description: SweepDescription,
                             plots: [PlotFile]) -> JSONValue {
        let plan = results.plan
        func number(_ value: Double?) -> JSONValue {
            guard let value, value.isFinite else { return .null }
            return .double((value * 1e6).rounded() / 1e6)
        }
        let conditions: [JSONValue] = summaries.map { summary in
            let condition = summary.condition
            var members: [(key: String, value: JSONValue)] = [
                ("protocol", .string(condition.labProtocol.rawValue)),
                // What the sweep asked for (null: TCP's system default); `cc`/`tcp_cc` below is what ran.
                ("sender_cc", condition.control.name.map { .string($0) } ?? .null),
                ("series", .string(condition.seriesName)),
                ("loss", number(condition.loss * 100)),
                ("delay", number(Double(condition.delay) / 1e6)),
                ("rate", number(Double(condition.rate) / 1e6)),
                ("window", condition.window.map { .int($0) } ?? .null),
                ("size", .int(condition.size)),
            ]
            if let reason = summary.notMeasured {
                members.append(("status", "not measured"))
                members.append(("reason", .string(reason)))
            } else {
                members.append(("status", "measured"))
            }
            members += [
                ("runs", .int(summary.runs)),
                ("ok", .int(summary.succeeded)),
                ("failed", .int(summary.failed)),
                ("goodput_mbps", .object([("mean", number(summary.meanGoodput)), ("min", number(summary.minimumGoodput)),
                                          ("max", number(summary.maximumGoodput))])),
                ("seconds_mean", number(summary.meanSeconds)),
                ("retransmissions_mean", number(summary.meanRetransmissions)),
                ("timeouts_mean", number(summary.meanTimeouts)),
                ("model", .object([("name", .string(summary.prediction.model)),
                                   ("goodput_mbps", number(summary.prediction.goodputMbps)),
                                   ("steady_state_mbps", number(summary.prediction.steadyStateMbps))])),
                ("measured_over_model", number(summary.modelRatio)),
            ]
            if !summary.failures.isEmpty { members.append(("failures", .array(summary.failures.map { .string($0) }))) }
            // For TCP the kernel's congestion control, as each connection reported it.
            members.append((condition.labProtocol == .tcp ? "tcp_cc" : "cc",
                            .array(summary.congestionControls.map { .string($0) })))
            return .object(members)
        }
        let farEnd: JSONValue = description.farEnd.isEmpty
            ? .null : .object(description.farEnd.map { row -> (String, JSONValue) in (row.0, .string(row.1)) })
        var rto: JSONValue = "auto"
        if let fixed = plan.fixedTimeout { rto = number(fixed * 1000) }
        return .object([
            ("title", .string(description.title)),
            ("command", .string(description.command)),
            ("date", .string(description.environment.date)),
            ("network", .string(plan.network.rawValue)),
            ("far_end", farEnd),
            ("environment", .object([("machine", .string(description.environment.machine)),
                                     ("kernel", .string(description.environment.kernel)),
                                     ("commit", .string(description.environment.commit)),
                                     ("build", .string(description.environment.build)),
                                     ("tcp_cc_default", description.environment.tcpCongestionControl.map { .string($0) } ?? .null)])),
            ("parameters", .object([
                ("protocols", .array(plan.protocols.map { .string($0.rawValue) })),
                ("cc", .object(plan.protocols.map { labProtocol in
                    (labProtocol.rawValue, .array(plan.controls(for: labProtocol).map { $0.name.map { .string($0) } ?? .null }))
                })),
                ("loss", .array(plan.losses.map { number($0 * 100) })),
                ("delay", .array(plan.delays.map { number(Double($0) / 1e6) })),
                ("rate", .array(plan.rates.map { number(Double($0) / 1e6) })),
                ("window", .array(plan.windows.map { .int($0) })),
                ("controlled_window", plan.hasControlledRUDP
                    ? .array(plan.windows(for: .rudp(.bbr)).map { .int($0) }) : .null),
                ("size", .int(plan.size)), ("repeats", .int(plan.repeats)), ("mss", .int(plan.mss)),
                ("rto_ms", rto), ("max_retries", .int(plan.maxRetries)), ("seed", .integer(plan.seed)),
                ("queue", .int(plan.queueLimit ?? ImpairmentConfig.defaultQueueLimit)),
            ])),
            ("units", .object([("loss", "percent per direction"), ("delay", "milliseconds one-way"),
                               ("rate", "Mbit/s, 0 = unlimited"), ("window", "packets"), ("size", "bytes"),
                               ("goodput_mbps", "file bytes × 8 / seconds / 10^6")])),
            ("seconds", number(results.finished.timeIntervalSince(results.started))),
            ("plots", .array(plots.map { .string($0.fileName) })),
            ("not_measured", .object(results.notMeasured.sorted { $0.key < $1.key }.map { ($0.key.rawValue, .string($0.value)) })),
            ("conditions", .array(conditions)),
        ])
    }
}
