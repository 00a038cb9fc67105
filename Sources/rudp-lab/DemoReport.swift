import CLIKit
import SystemKit

/// The demo's words: the live proxy line and the closing summaries, built from the JSON the
/// three programs print (`rudp-send --json`, `rudp-recv --json`, `lossproxy --json`).
struct DemoReport {
    let settings: DemoSettings
    let senderSummary: JSONValue?
    let senderStatus: Int32?
    let receiverSummary: JSONValue?
    let proxyFinal: JSONValue?

    init(settings: DemoSettings, sender: ChildProcess, receiver: ChildProcess, proxy: ChildProcess) {
        self.settings = settings
        senderStatus = sender.exitStatus
        senderSummary = Self.lastObject(in: sender.stdoutLines)
        receiverSummary = Self.lastObject(in: receiver.stdoutLines)
        proxyFinal = Self.lastObject(in: proxy.stdoutLines) { $0["final"]?.boolValue == true }
    }

    /// `lossproxy 3.0 s | data → receiver: 2510 in, 251 dropped, 130 reordered | acks → sender: …`.
    static func proxyLine(_ report: JSONValue) -> String {
        func part(_ direction: JSONValue?) -> String {
            let count = { (key: String) in direction?[key]?.intValue ?? 0 }
            return "\(count("in")) in, \(count("dropped")) dropped, \(count("reordered")) reordered"
        }
        let seconds = HumanFormat.fixed(report["seconds"]?.doubleValue ?? 0, decimals: 1)
        return "  lossproxy \(seconds) s | data → receiver: \(part(report["forward"])) | acks → sender: \(part(report["reverse"]))"
    }

    /// The closing summaries of sender, receiver and proxy.
    func summaryLines() -> [String] {
        var lines = [""]
        lines.append("Sender: rudp-send --protocol \(settings.protocolName) (\(settings.protocolTitle))")
        if let sent = senderSummary {
            let bytes = UInt64(sent["bytes"]?.intValue ?? 0)
            let seconds = sent["seconds"]?.doubleValue ?? 0
            let goodput = (sent["goodput_mbps"]?.doubleValue ?? 0) * 1e6
            lines.append("  \(HumanFormat.bytes(bytes)) in \(HumanFormat.duration(seconds: seconds)): "
                + "\(HumanFormat.rate(bitsPerSecond: goodput)) goodput")
            let timeouts = sent["timeouts"]?.intValue ?? 0
            var counters = "  \(sent["packets_sent"]?.intValue ?? 0) data packets sent, "
                + "\(sent["retransmissions"]?.intValue ?? 0) retransmitted (\(sent["fast_retransmits"]?.intValue ?? 0) fast), "
                + "\(timeouts) \(timeouts == 1 ? "timeout" : "timeouts")"
            if let rtt = sent["rtt_ms"], !rtt.isNull {
                let values = ["min", "mean", "max"].map { HumanFormat.trimmed(rtt[$0]?.doubleValue ?? 0, maximumDecimals: 1) }
                counters += "; RTT min/mean/max \(values.joined(separator: "/")) ms"
            }
            lines.append(counters)
            if let control = sent["cc"]?.stringValue {
                lines.append("  " + Self.congestionText(control, sent))
            }
        } else {
            lines.append("  failed (exit status \(senderStatus.map(String.init) ?? "unknown")); its error is shown above")
        }
        lines.append("Receiver: rudp-recv")
        if let received = receiverSummary {
            let status = received["status"]?.stringValue ?? "?"
            var line = "  \(received["file"]?.stringValue ?? "?"): \(HumanFormat.bytes(UInt64(received["bytes"]?.intValue ?? 0))) "
                + "in \(HumanFormat.duration(seconds: received["seconds"]?.doubleValue ?? 0)), status \(status)"
            if status == "ok" {
                line += ", SHA-256 checked before the file was put in place"
            } else if let error = received["error"]?.stringValue {
                line += ": \(error)"
            }
            lines.append(line)
        } else {
            lines.append("  no transfer finished")
        }
        lines.append("Proxy: lossproxy --seed \(settings.seed)")
        if let final = proxyFinal {
            lines.append("  data → receiver: " + Self.directionText(final["forward"]))
            lines.append("  acks → sender:   " + Self.directionText(final["reverse"]))
        } else {
            lines.append("  no final statistics")
        }
        return lines
    }

    /// `congestion control bbr: window up to 52 packets, paced at 9.8 Mbit/s; smoothed RTT 51.2 ms`,
    /// or `no congestion control: a fixed window of 64 packets` for the textbook sender.
    static func congestionText(_ control: String, _ sent: JSONValue) -> String {
        guard control != "none" else {
            return "no congestion control: the textbook fixed window" + (sent["window"]?.intValue.map { " of \($0) packets" } ?? "")
        }
        var text = "congestion control \(control)"
        if let window = sent["cwnd_max"]?.intValue { text += ": window up to \(window) packets" }
        if let pacing = sent["pacing_mbps"]?.doubleValue {
            text += ", paced at \(HumanFormat.rate(bitsPerSecond: pacing * 1e6))"
        }
        if let srtt = sent["srtt_ms"]?.doubleValue {
            text += "; smoothed RTT \(HumanFormat.trimmed(srtt, maximumDecimals: 1)) ms"
        }
        return text
    }

    /// `in 4780, out 4300, dropped 480 (loss 480), duplicated 0, …` from a direction's JSON.
    static func directionText(_ direction: JSONValue?) -> String {
        let count = { (key: String) in direction?[key]?.intValue ?? 0 }
        var text = "in \(count("in")), out \(count("out")), dropped \(count("dropped"))"
        let causes = (direction?["dropped_by"]?.objectMembers ?? [])
            .filter { ($0.value.intValue ?? 0) > 0 }
            .map { "\($0.key.replacingUnderscores()) \($0.value.intValue ?? 0)" }
        if !causes.isEmpty { text += " (" + causes.joined(separator: ", ") + ")" }
        text += ", duplicated \(count("duplicated")), corrupted \(count("corrupted")), reordered \(count("reordered"))"
        return text
    }

    private static func lastObject(in lines: [String], where accept: (JSONValue) -> Bool = { _ in true }) -> JSONValue? {
        for line in lines.reversed() {
            if let value = try? JSONValue(parsing: line), value.objectMembers != nil, accept(value) { return value }
        }
        return nil
    }
}

extension String {
    /// `burst_loss` → `burst loss`.
    func replacingUnderscores() -> String {
        String(map { $0 == "_" ? " " : $0 })
    }
}
