import CLIKit
import Foundation

/// Writes a `why-udp` run into its directory: results.csv (one row per message), responses.csv
/// (one row per request/response trial), summary.json, latency-cdf.svg and README.md.
public enum WhyUDPReport {
    public static let messagesName = "results.csv"
    public static let responsesName = "responses.csv"
    public static let plotName = "latency-cdf.svg"
    public static let messagesHeader = "transport,message,sent_ms,latency_ms,delivered"
    public static let responsesHeader = "exchange,trial,response_ms,answered"

    /// Writes every file and returns their paths.
    @discardableResult
    public static func write(_ results: WhyUDPResults, description: SweepDescription, to directory: String) throws -> [String] {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw SweepError("cannot create \(directory): \(error.localizedDescription)")
        }
        let files: [(String, String)] = [
            (messagesName, messagesCSV(results)),
            (responsesName, responsesCSV(results)),
            (SweepReport.summaryName, PrettyJSON.text(summary(results, description: description))),
            (plotName, chart(results).render()),
            (SweepReport.readmeName, WhyUDPReadme.text(results, description: description)),
        ]
        return try SweepReport.write(files, into: directory)
    }

    /// The CDF chart of the measured streams.
    public static func chart(_ results: WhyUDPResults) -> WhyUDPLatencyChart {
        let plan = results.plan
        return WhyUDPLatencyChart(
            title: "Message latency under loss (\(plan.network.rawValue))",
            subtitle: "\(plan.messageCount) messages of \(plan.messageSize) bytes at \(plan.messagesPerSecond)/s, "
                + "\(ReportNumbers.percent(plan.loss)) loss and \(ReportNumbers.milliseconds(plan.delay)) ms delay "
                + "each way; latency = arrival at the receiving application − writing",
            streams: results.streams)
    }

    /// One row per message of every measured stream; latency empty and delivered false for a lost one.
    public static func messagesCSV(_ results: WhyUDPResults) -> String {
        var lines = [messagesHeader]
        for stream in results.streams where stream.notMeasured == nil {
            for (index, latency) in stream.latencyMilliseconds.enumerated() {
                let sent = index < stream.sentMilliseconds.count ? ReportNumbers.fixed(stream.sentMilliseconds[index], decimals: 3) : ""
                lines.append("\(stream.transport.rawValue),\(index),\(sent),"
                    + "\(latency.map { ReportNumbers.fixed($0, decimals: 3) } ?? ""),\(latency != nil)")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// One row per request/response trial of every measured exchange.
    public static func responsesCSV(_ results: WhyUDPResults) -> String {
        var lines = [responsesHeader]
        for exchange in results.exchanges where exchange.notMeasured == nil {
            for (trial, time) in exchange.milliseconds.enumerated() {
                lines.append("\(exchange.exchange.rawValue),\(trial),\(time.map { ReportNumbers.fixed($0, decimals: 3) } ?? ""),"
                    + "\(time != nil)")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func number(_ value: Double?) -> JSONValue {
        guard let value, value.isFinite else { return .null }
        return .double((value * 1e3).rounded() / 1e3)
    }

    /// summary.json: parameters, environment, and per transport the latency percentiles and losses.
    public static func summary(_ results: WhyUDPResults, description: SweepDescription) -> JSONValue {
        let plan = results.plan
        let threshold = plan.lateThresholdMilliseconds
        let streams: [JSONValue] = results.streams.map { stream in
            var members: [(key: String, value: JSONValue)] = [("transport", .string(stream.transport.rawValue))]
            if let reason = stream.notMeasured {
                members += [("status", "not measured"), ("reason", .string(reason))]
                return .object(members)
            }
            members += [
                ("status", "measured"),
                ("messages", .int(stream.messages)), ("delivered", .int(stream.delivered.count)), ("lost", .int(stream.lost)),
                ("p50_ms", number(stream.percentile(0.5))), ("p90_ms", number(stream.percentile(0.9))),
                ("p95_ms", number(stream.percentile(0.95))), ("p99_ms", number(stream.percentile(0.99))),
                ("max_ms", number(stream.maximumLatency)), ("mean_ms", number(stream.meanLatency)),
                ("late", .int(stream.lateCount(threshold: threshold))),
                ("retransmissions", stream.retransmissions.map { .int($0) } ?? .null),
                ("redundant_bytes", stream.redundantBytes.map { .int($0) } ?? .null),
            ]
            if let failure = stream.failure { members.append(("failure", .string(failure))) }
            return .object(members)
        }
        let exchanges: [JSONValue] = results.exchanges.map { exchange in
            var members: [(key: String, value: JSONValue)] = [("exchange", .string(exchange.exchange.rawValue))]
            if let reason = exchange.notMeasured {
                members += [("status", "not measured"), ("reason", .string(reason))]
                return .object(members)
            }
            members += [
                ("status", "measured"), ("trials", .int(exchange.milliseconds.count)),
                ("answered", .int(exchange.answered.count)), ("unanswered", .int(exchange.unanswered)),
                ("p50_ms", number(exchange.percentile(0.5))), ("p90_ms", number(exchange.percentile(0.9))),
                ("max_ms", number(exchange.answered.last)),
            ]
            return .object(members)
        }
        let environment = description.environment
        let environmentValue: JSONValue = .object([
            ("machine", .string(environment.machine)), ("kernel", .string(environment.kernel)),
            ("commit", .string(environment.commit)), ("build", .string(environment.build))])
        var parameters: [(key: String, value: JSONValue)] = []
        parameters.append(("loss_percent", number(plan.loss * 100)))
        parameters.append(("delay_ms", number(Double(plan.delay) / 1e6)))
        parameters.append(("message_bytes", .int(plan.messageSize)))
        parameters.append(("response_bytes", .int(plan.effectiveResponseSize)))
        parameters.append(("messages_per_second", .int(plan.messagesPerSecond)))
        parameters.append(("seconds", number(Double(plan.duration) / 1e9)))
        parameters.append(("messages", .int(plan.messageCount)))
        parameters.append(("requests", .int(plan.requests)))
        parameters.append(("rudp_window", .int(plan.window)))
        parameters.append(("seed", .integer(plan.seed)))
        parameters.append(("late_threshold_ms", number(threshold)))
        var units: [(key: String, value: JSONValue)] = []
        units.append(("latency", .string("milliseconds from the sending application writing a message to the "
            + "receiving application getting it")))
        units.append(("percentiles", .string("nearest rank over the delivered messages")))
        units.append(("late", .string("delivered messages slower than the one-way delay + 10 ms")))
        units.append(("first_response", .string("milliseconds from the client's first packet to the response "
            + "reaching its application")))
        var members: [(key: String, value: JSONValue)] = []
        members.append(("title", .string(description.title)))
        members.append(("experiment", .string("why-udp")))
        members.append(("command", .string(description.command)))
        members.append(("date", .string(environment.date)))
        members.append(("network", .string(plan.network.rawValue)))
        members.append(("environment", environmentValue))
        members.append(("parameters", .object(parameters)))
        members.append(("units", .object(units)))
        members.append(("seconds", number(results.finished.timeIntervalSince(results.started))))
        members.append(("plots", .array([.string(plotName)])))
        members.append(("streams", .array(streams)))
        members.append(("first_response", .array(exchanges)))
        if !results.migration.isEmpty {
            members.append(("migration", .object([
                ("file_bytes", .int(plan.migrationFileSize)),
                ("rebind_interval_ms", number(Double(plan.rebindInterval) / 1e6)),
                ("bottleneck_mbps", number(Double(plan.migrationRate) / 1e6)),
                ("transfers", .array(results.migration.map(migrationJSON))),
            ])))
        }
        return .object(members)
    }

    /// One transport of the migration row.
    static func migrationJSON(_ result: MigrationResult) -> JSONValue {
        var members: [(key: String, value: JSONValue)] = [("transport", .string(result.transport))]
        if let reason = result.notMeasured {
            members += [("status", "not measured"), ("reason", .string(reason))]
            return .object(members)
        }
        members += [
            ("status", "measured"), ("intact", .bool(result.intact)), ("seconds", number(result.seconds)),
            ("migrations", result.migrations.map { .int($0) } ?? .null),
            ("longest_stall_ms", number(result.longestStallMilliseconds)),
            ("rto_at_longest_stall_ms", number(result.timeoutAtLongestStallMilliseconds)),
        ]
        if let failure = result.failure { members.append(("failure", .string(failure))) }
        return .object(members)
    }
}
