import RUDP

/// The "Reading" of a `why-udp` README: what the numbers show, computed from them (never
/// written in advance), one bullet per finding.
public enum WhyUDPReading {
    static func ms(_ value: Double?) -> String {
        value.map { ReportNumbers.plain($0, decimals: 1) + " ms" } ?? "–"
    }

    static func share(_ count: Int, of total: Int) -> String {
        guard total > 0 else { return "–" }
        let percent = Double(count) * 100 / Double(total)
        return ReportNumbers.plain(percent, decimals: percent < 10 ? 1 : 0) + "%"
    }

    public static func bullets(_ results: WhyUDPResults) -> [String] {
        let plan = results.plan
        let threshold = plan.lateThresholdMilliseconds
        func measured(_ transport: WhyUDPTransport) -> MessageStreamResult? {
            results.stream(transport).flatMap { $0.notMeasured == nil && $0.messages > 0 ? $0 : nil }
        }
        var bullets: [String] = []

        if let ordered = measured(.rudpOrdered), let unordered = measured(.rudpUnordered),
           let o99 = ordered.percentile(0.99), let u99 = unordered.percentile(0.99) {
            let orderedLate = ordered.lateCount(threshold: threshold)
            let unorderedLate = unordered.lateCount(threshold: threshold)
            let lateText = "\(orderedLate) ordered messages (\(share(orderedLate, of: ordered.messages))) arrived late "
                + "(more than \(ReportNumbers.plain(WhyUDPPlan.lateMarginMilliseconds, decimals: 0)) ms over the one-way "
                + "delay) against \(unorderedLate) unordered (\(share(unorderedLate, of: unordered.messages)))"
            let comparison = "RUDP ordered p99 \(ms(o99)) vs unordered \(ms(u99))"
            if o99 > u99 + 0.5 {
                bullets.append("\(comparison): head-of-line blocking. Both resend the same way, but in order delivery a "
                    + "message that arrives after a lost one waits until the lost one is resent: \(lateText); "
                    + "p95 \(ms(ordered.percentile(0.95))) vs \(ms(unordered.percentile(0.95))).")
            } else if abs(o99 - u99) <= 0.5 {
                bullets.append("\(comparison): the same, because \(share(unorderedLate, of: unordered.messages)) of the "
                    + "messages needed a resend (more than 1%), so the 99th percentile is a resent message in both "
                    + "modes, and a message held back behind it never waits longer than the resent one itself. "
                    + "Head-of-line blocking shows below the 99th percentile: \(lateText); "
                    + "p95 \(ms(ordered.percentile(0.95))) vs \(ms(unordered.percentile(0.95))), mean "
                    + "\(ms(ordered.meanLatency)) vs \(ms(unordered.meanLatency)).")
            } else {
                bullets.append("\(comparison): ordered delivery came out faster here, which in-order delivery cannot "
                    + "cause; the two runs lost different packets (\(lateText)).")
            }
        }

        if let udp = measured(.udp) {
            var text = "UDP lost \(udp.lost) of \(udp.messages) messages (\(share(udp.lost, of: udp.messages))), never "
                + "resent"
            if !udp.delivered.isEmpty {
                text += "; the ones that arrived took \(ms(udp.percentile(0.5))) (p99 \(ms(udp.percentile(0.99)))), "
                    + "the one-way delay: nothing waits, and nothing is guaranteed."
            } else {
                text += "."
            }
            bullets.append(text)
            if let unordered = measured(.rudpUnordered), unordered.lost == 0,
               let u50 = unordered.percentile(0.5), let d50 = udp.percentile(0.5) {
                let relation = abs(u50 - d50) <= 1 ? "the same as UDP's" : "against UDP's \(ms(d50))"
                bullets.append("RUDP unordered delivered all \(unordered.messages) messages with a median of \(ms(u50)), "
                    + "\(relation): only the messages that were lost waited for their resend, up to "
                    + "\(ms(unordered.maximumLatency)). Reliability without head-of-line blocking is what UDP makes "
                    + "possible and TCP does not offer.")
            }
        }

        if let redundant = measured(.rudpRedundant), let r99 = redundant.percentile(0.99) {
            var text = "RUDP unordered with redundancy 1 (each packet also carries the message before it while that one "
                + "is unacknowledged) delivered \(redundant.delivered.count) of \(redundant.messages) with p99 \(ms(r99))"
            if let unordered = measured(.rudpUnordered), let u99 = unordered.percentile(0.99) { text += " against \(ms(u99)) without" }
            if let tcp = measured(.tcp), let t99 = tcp.percentile(0.99) { text += " and \(ms(t99)) for TCP" }
            let interval = Double(plan.interval) / 1e6
            text += ": a single loss costs no round trip, as the next message, \(ms(interval)) later, brings its copy "
                + "(one-way delay + one interval = \(ms(Double(plan.delay) / 1e6 + interval)))"
            if let bytes = redundant.redundantBytes {
                let written = redundant.messages * plan.messageSize
                text += ". The price is bandwidth: \(bytes) bytes of copies, \(share(bytes, of: written)) on top of the "
                    + "\(written) message bytes written"
                // The copies also spare the resends: a message's timer runs from its latest copy.
                if let resent = redundant.retransmissions, let unordered = measured(.rudpUnordered),
                   let without = unordered.retransmissions {
                    text += "; it resent \(resent) message\(resent == 1 ? "" : "s") against \(without) without, as a "
                        + "message's retransmission timer runs from the latest copy of it"
                }
            }
            bullets.append(text + ".")
        }

        if let tcp = measured(.tcp) {
            let late = tcp.lateCount(threshold: threshold)
            bullets.append("TCP delivered \(tcp.delivered.count) of \(tcp.messages) messages in order: p50 "
                + "\(ms(tcp.percentile(0.5))), p99 \(ms(tcp.percentile(0.99))), max \(ms(tcp.maximumLatency)); \(late) "
                + "(\(share(late, of: tcp.messages))) were late. One byte stream means a loss holds back everything written "
                + "after it until the kernel has resent it (by fast retransmit, a tail loss probe, or its "
                + "retransmission timeout, at least 200 ms on Linux).")
        } else if let reason = results.stream(.tcp)?.notMeasured {
            bullets.append("\(reason).")
        }

        let rtt = 2 * Double(plan.delay) / 1e6
        let answered = results.exchanges.filter { $0.notMeasured == nil && !$0.answered.isEmpty }
        if !answered.isEmpty {
            let parts = answered.map { exchange -> String in
                let median = exchange.percentile(0.5)!
                let trips = rtt > 0 ? " (\(ReportNumbers.plain(median / rtt, decimals: 1)) RTT)" : ""
                return "\(exchange.exchange.title) \(ms(median))\(trips)"
            }
            var text = "Time to first response, median of \(answered[0].milliseconds.count) trials: "
                + parts.joined(separator: ", ") + ". UDP needs one round trip; TCP two (the handshake, then the request); "
                + "RUDP two as well, as the server opens its connection back as soon as the client's SYN arrives, "
                + "overlapping both handshakes. RUDP 0-RTT needs one, like UDP but retried when lost: the request rides "
                + "in the SYN and the answer in the SYN-ACK, which may be at most three times the SYN's bytes until the "
                + "client proved its address (a token from an earlier connection proves it at once); TCP Fast Open "
                + "needs one only with a cookie from an earlier connection."
            text += initialTimeoutTails(answered)
            if let udp = results.exchange(.udp), udp.notMeasured == nil, udp.unanswered > 0 {
                text += " \(udp.unanswered) of \(udp.milliseconds.count) UDP requests got no answer at all: a UDP "
                    + "application needs its own timer and retry."
            }
            bullets.append(text)
        }
        // A reason the streams' bullets already gave is not repeated.
        let streamReasons = Set(results.streams.compactMap(\.notMeasured))
        for reason in results.exchanges.compactMap(\.notMeasured) where !streamReasons.contains(reason) {
            bullets.append("\(reason).")
        }

        if let text = migrationBullet(results) { bullets.append(text) }

        for stream in results.streams {
            if let failure = stream.failure { bullets.append("\(stream.transport.title) did not end cleanly: \(failure).") }
        }
        return bullets
    }

    /// What the migration run shows, from its measured rows only.
    static func migrationBullet(_ results: WhyUDPResults) -> String? {
        let measured = results.migration.filter { $0.notMeasured == nil }
        guard !measured.isEmpty else { return nil }
        let interval = ReportNumbers.plain(Double(results.plan.rebindInterval) / 1e9, decimals: 1)
        let parts = measured.map { result -> String in
            let seconds = result.seconds.map { " in \(ReportNumbers.plain($0, decimals: 1)) s" } ?? ""
            guard result.intact else { return "\(result.transport) failed\(seconds) (\(result.failure ?? "no reason given"))" }
            var text = "\(result.transport) delivered the file intact\(seconds)"
            if let moves = result.migrations { text += ", its receiver following the sender to \(moves) new address\(moves == 1 ? "" : "es")" }
            if let stall = result.longestStallMilliseconds {
                text += ", the longest wait for an acknowledgement \(ms(stall))"
                if let timeout = result.timeoutAtLongestStallMilliseconds {
                    text += stall <= timeout ? " (within the retransmission timeout then, \(ms(timeout)))"
                        : " (\(ReportNumbers.plain(stall / timeout, decimals: 1)) times the retransmission timeout then, \(ms(timeout)))"
                }
            }
            return text
        }
        return "While a NAT moved the sender to a new port every \(interval) s: " + parts.joined(separator: "; ")
            + ". An RUDP transfer is named by its connection ID: the receiver moves it to a new address once the "
            + "sender echoes a challenge sent there (so a spoofed packet cannot redirect it), and meanwhile copies its "
            + "acknowledgements there, so the sender does not wait for the proof. A TCP connection is named "
            + "by its addresses and ports, which the kernel cannot change under it."
    }

    /// The tails of the time to first response that one initial retransmission timeout explains:
    /// trials at least 0.8 s beyond the median lost their first packet or its answer, and
    /// nothing is resent before the initial timeout, as no round trip has been measured yet
    /// (1 s for RUDP's SYN, rudp-send's initial RTO, and for TCP's SYN on Linux, RFC 6298 §2.1).
    static func initialTimeoutTails(_ exchanges: [FirstResponseResult]) -> String {
        let initial = Double(RetransmissionTimer.defaultInitial) / 1e6
        var parts: [String] = []
        for exchange in exchanges {
            let times = exchange.answered
            guard let median = exchange.percentile(0.5) else { continue }
            let tail = times.filter { $0 >= median + 0.8 * initial }
            guard !tail.isEmpty else { continue }
            parts.append("\(tail.count) of \(times.count) \(exchange.exchange.title) trials (up to \(ms(times.last!)))")
        }
        guard !parts.isEmpty else { return "" }
        return " The slow tail — " + parts.joined(separator: ", ") + " — is the initial retransmission timeout: "
            + "when the first packet or its answer is lost, nothing is resent for \(ms(initial)) (RUDP's initial RTO, "
            + "and Linux's for a TCP SYN), since no round trip has been measured yet."
    }
}
