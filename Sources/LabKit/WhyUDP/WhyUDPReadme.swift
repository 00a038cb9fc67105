/// The README.md of a `why-udp` directory: what was measured, the command, the environment,
/// the latency table and plot, the time to first response and a computed reading.
public enum WhyUDPReadme {
    public static func text(_ results: WhyUDPResults, description: SweepDescription) -> String {
        let plan = results.plan
        let delay = ReportNumbers.milliseconds(plan.delay)
        var lines: [String] = []
        lines.append("# \(description.title)")
        lines.append("")
        lines.append("Why is there UDP? An application sends small messages at a steady rate, as a game or a "
            + "telemetry feed does: \(plan.messageCount) timestamped \(plan.messageSize)-byte messages at "
            + "\(plan.messagesPerSecond) per second for \(ReportNumbers.plain(Double(plan.duration) / 1e9, decimals: 3)) s, "
            + "across a link that loses \(ReportNumbers.percent(plan.loss)) of the packets and delays each by \(delay) ms, "
            + "in each direction. They travel four ways: raw UDP (a lost message is gone), TCP (one ordered byte "
            + "stream), and RUDP Selective Repeat handing the messages over in order, or each one as soon as it "
            + "arrives. Latency runs from the sending application writing a message to the receiving application "
            + "getting it. Then one request (\(plan.messageSize) bytes) and its response "
            + "(\(plan.effectiveResponseSize) bytes), to see what each transport costs before the first answer.")
        lines.append("")
        let took = results.finished.timeIntervalSince(results.started)
        lines += description.commandAndEnvironment(network: networkDescription(plan.network),
                                                   took: ReportNumbers.plain(took, decimals: took < 1 ? 2 : 1),
                                                   extraRows: [("seed", "\(plan.seed)")])
        lines.append("")
        lines.append("## Message latency")
        lines.append("")
        lines += latencyTable(results)
        lines.append("")
        lines.append("Percentiles by nearest rank over the delivered messages, in milliseconds; late = delivered more "
            + "than \(ReportNumbers.plain(WhyUDPPlan.lateMarginMilliseconds, decimals: 0)) ms after the one-way delay "
            + "(\(ReportNumbers.plain(plan.lateThresholdMilliseconds, decimals: 1)) ms), that is, after waiting for "
            + "a retransmission. The plot shows the share of all messages written that had arrived within each "
            + "latency: a transport that loses messages never reaches 100%.")
        lines.append("")
        lines.append("![Message latency CDF](\(WhyUDPReport.plotName))")
        lines.append("")
        lines.append("## Time to first response")
        lines.append("")
        lines += responseTable(results)
        lines.append("")
        if !results.migration.isEmpty {
            lines.append("## A path that changes address")
            lines.append("")
            lines += migrationTable(results)
            lines.append("")
        }
        lines.append("## Reading")
        lines.append("")
        for bullet in WhyUDPReading.bullets(results) { lines.append("- " + bullet) }
        lines.append("")
        lines.append("## Files")
        lines.append("")
        lines.append("- `\(WhyUDPReport.messagesName)`: one row per message (`\(WhyUDPReport.messagesHeader)`); sent_ms "
            + "counts from the first message, latency_ms is empty and delivered false for a lost message.")
        lines.append("- `\(WhyUDPReport.responsesName)`: one row per request/response trial "
            + "(`\(WhyUDPReport.responsesHeader)`).")
        lines.append("- `summary.json`: the parameters, the environment and the numbers of both tables.")
        lines.append("- `\(WhyUDPReport.plotName)`: the latency CDF.")
        lines.append("")
        return lines.joined(separator: "\n")
    }

    static func networkDescription(_ network: WhyUDPNetwork) -> String {
        switch network {
        case .sim:
            "sim: UDP datagrams and the real RUDP state machines over the impairment engine, on a virtual clock "
                + "(deterministic); TCP is not modelled"
        case .link:
            "link: real processes in two network namespaces joined by lossproxy's TUN link, which impairs every IP "
                + "packet both ways (TCP included); latencies from CLOCK_MONOTONIC, which both namespaces share"
        }
    }

    static func cell(_ value: Double?) -> String {
        value.map { ReportNumbers.plain($0, decimals: 1) } ?? "–"
    }

    static func latencyTable(_ results: WhyUDPResults) -> [String] {
        let threshold = results.plan.lateThresholdMilliseconds
        var lines = ["| transport | delivered | lost | p50 | p90 | p95 | p99 | max | mean | late | retransmissions |",
                     "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for stream in results.streams {
            if stream.notMeasured != nil {
                lines.append("| \(stream.transport.title) | not measured | – | – | – | – | – | – | – | – | – |")
                continue
            }
            let late = stream.lateCount(threshold: threshold)
            let cells = [stream.transport.title, "\(stream.delivered.count)/\(stream.messages)",
                         "\(stream.lost) (\(WhyUDPReading.share(stream.lost, of: stream.messages)))",
                         cell(stream.percentile(0.5)), cell(stream.percentile(0.9)), cell(stream.percentile(0.95)),
                         cell(stream.percentile(0.99)), cell(stream.maximumLatency), cell(stream.meanLatency),
                         "\(late) (\(WhyUDPReading.share(late, of: stream.messages)))",
                         stream.retransmissions.map(String.init) ?? "–"]
            lines.append("| " + cells.joined(separator: " | ") + " |")
        }
        lines += reasonsNotMeasured(results.streams.compactMap(\.notMeasured), besides: [])
        return lines
    }

    /// The migration row: a file sent while a NAT rebinds the sender every interval.
    static func migrationTable(_ results: WhyUDPResults) -> [String] {
        let plan = results.plan
        var lines = ["A \(ReportNumbers.plain(Double(plan.migrationFileSize) / 1e6, decimals: 0)) MB file is sent while a NAT in "
            + "front of the sender moves it to a new source port every "
            + "\(ReportNumbers.plain(Double(plan.rebindInterval) / 1e9, decimals: 1)) s (what the old port receives is lost), "
            + "over the same link with a \(ReportNumbers.plain(Double(plan.migrationRate) / 1e6, decimals: 0)) Mbit/s "
            + "bottleneck (a 100-packet queue), so that the transfer lives through several rebindings. RUDP identifies the transfer by its connection ID: the receiver validates each new "
            + "address with a challenge the sender echoes, then moves the transfer there. TCP's connection is its "
            + "addresses and ports.", "",
            "| transport | outcome | seconds | moves | longest stall ms | RTO then ms |",
            "|---|---|---:|---:|---:|---:|"]
        for result in results.migration {
            guard result.notMeasured == nil else {
                lines.append("| \(result.transport) | not measured | – | – | – | – |")
                continue
            }
            let outcome = result.intact ? "intact" : "failed: \(result.failure ?? "?")"
            lines.append("| \(result.transport) | \(outcome) | \(cell(result.seconds)) | "
                + "\(result.migrations.map(String.init) ?? "–") | \(cell(result.longestStallMilliseconds)) | "
                + "\(cell(result.timeoutAtLongestStallMilliseconds)) |")
        }
        lines += reasonsNotMeasured(results.migration.compactMap(\.notMeasured), besides: results.streams.compactMap(\.notMeasured))
        lines.append("")
        lines.append("The longest stall is the longest time the sender heard no acknowledgement once the transfer ran "
            + "(from the sender's trace on the link); moves are the times the receiver followed the sender to a new "
            + "address (rudp-recv's JSON `migrations` on the link); RTO then is the sender's retransmission timeout when that stall "
            + "began. TCP has neither: a TCP connection cannot move.")
        return lines
    }

    static func responseTable(_ results: WhyUDPResults) -> [String] {
        let rtt = 2 * Double(results.plan.delay) / 1e6
        var lines = ["| transport | trials | answered | median ms | p90 ms | max ms | what it takes |",
                     "|---|---:|---:|---:|---:|---:|---|"]
        for exchange in results.exchanges {
            let how: String
            switch exchange.exchange {
            case .udp: how = "one datagram each way: 1 RTT (\(ReportNumbers.plain(rtt, decimals: 1)) ms); a loss means no answer"
            case .tcp: how = "three-way handshake, then request and response: 2 RTT, more after a loss"
            case .rudp: how = "a connection each way, handshakes overlapped, then request and response: 2 RTT"
            case .rudpZeroRTT:
                how = "request in the SYN, response in the SYN-ACK within 3× the SYN's bytes: 1 RTT (a larger one: 2)"
            case .rudpZeroRTTToken:
                how = "as first contact, with a token from an earlier connection: any response size in 1 RTT"
            case .tcpFastOpen: how = "the SYN asks for a cookie; request after the handshake: 2 RTT"
            case .tcpFastOpenCookie: how = "request in the SYN with the cookie, response after the SYN-ACK: 1 RTT"
            }
            guard exchange.notMeasured == nil else {
                lines.append("| \(exchange.exchange.title) | not measured | – | – | – | – | \(how) |")
                continue
            }
            let cells = [exchange.exchange.title, "\(exchange.milliseconds.count)", "\(exchange.answered.count)",
                         cell(exchange.percentile(0.5)), cell(exchange.percentile(0.9)), cell(exchange.answered.last), how]
            lines.append("| " + cells.joined(separator: " | ") + " |")
        }
        lines += reasonsNotMeasured(results.exchanges.compactMap(\.notMeasured), besides: results.streams.compactMap(\.notMeasured))
        lines.append("")
        lines.append("Time from the client's first packet to the response reaching its application; a trial without "
            + "an answer within the time limit counts as unanswered and is left out of the times.")
        return lines
    }

    /// One paragraph per reason a row was not measured, each said once: those the message
    /// table already gave (`besides`) are not repeated under a later table.
    static func reasonsNotMeasured(_ reasons: [String], besides said: [String]) -> [String] {
        Set(reasons).subtracting(said).sorted().flatMap { ["", "\($0)."] }
    }
}
