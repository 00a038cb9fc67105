import CLIKit
import RUDP
import RUDPNet
import SystemKit

/// The sender's end-of-transfer summary, for people and for scripts.
enum SendSummary {
    static func json(_ report: SendReport) -> JSONValue {
        let statistics = report.statistics
        let rtt = statistics?.rtt
        func ms(_ nanoseconds: UInt64?) -> JSONValue { nanoseconds.map { .double(Double($0) / 1e6) } ?? .null }
        return .object([
            ("protocol", .string(report.protocolName)),
            ("bytes", .integer(report.bytes)),
            ("seconds", .double(report.seconds)),
            ("goodput_mbps", .double(report.goodputMbps)),
            ("packets_sent", .integer(statistics?.dataPacketsSent ?? 0)),
            ("retransmissions", .integer(statistics?.retransmissions ?? 0)),
            ("timeouts", .integer(statistics?.timeouts ?? 0)),
            ("fast_retransmits", .integer(statistics?.fastRetransmits ?? 0)),
            ("path_challenges", .integer(statistics?.pathChallengesAnswered ?? 0)),
            ("rtt_ms", rtt.map { rtt in
                rtt.count == 0 ? .null : .object([("min", ms(rtt.minimum)), ("mean", ms(rtt.mean)), ("max", ms(rtt.maximum))])
            } ?? .null),
            ("sha256", .string(report.sha256.hex)),
        ] + congestionFields(report))
    }

    /// `cc`, `cwnd_max` and `cwnd_final` (packets), `srtt_ms` for RUDP; `tcp_cc` for TCP.
    private static func congestionFields(_ report: SendReport) -> [(String, JSONValue)] {
        if report.protocolName == "tcp" { return [("tcp_cc", report.tcpCongestionControl.map { .string($0) } ?? .null)] }
        guard let congestion = report.congestion else { return [] }
        return [
            ("cc", .string(congestion.algorithm.rawValue)),
            ("cwnd_max", congestion.maxWindowPackets.map { .integer($0) } ?? .null),
            ("cwnd_final", congestion.finalWindowPackets.map { .integer($0) } ?? .null),
            ("srtt_ms", congestion.smoothedRTT.map { .double(Double($0) / 1e6) } ?? .null),
            ("pacing_mbps", congestion.pacingRate.map { .double(($0 / 1e6 * 1000).rounded() / 1000) } ?? .null),
        ]
    }

    static func human(_ report: SendReport, name: String, address: SocketAddress) -> String {
        var lines = [
            "sent '\(name)' to \(address) over \(report.protocolName): \(HumanFormat.bytes(report.bytes)) in "
                + "\(HumanFormat.duration(seconds: report.seconds)), \(HumanFormat.rate(bitsPerSecond: report.goodputMbps * 1e6))",
        ]
        if let statistics = report.statistics {
            var line = "  \(statistics.dataPacketsSent) data packets, \(statistics.retransmissions) retransmitted "
                + "(\(statistics.fastRetransmits) fast), \(statistics.timeouts) timeouts"
            if statistics.rtt.count > 0 {
                func ms(_ value: UInt64) -> String { HumanFormat.trimmed(Double(value) / 1e6, maximumDecimals: 3) }
                line += "; RTT min/mean/max \(ms(statistics.rtt.minimum))/\(ms(statistics.rtt.mean))/\(ms(statistics.rtt.maximum)) ms"
            }
            lines.append(line)
        }
        if let congestion = report.congestion, congestion.algorithm != .none {
            var line = "  congestion control \(congestion.algorithm.rawValue): window up to \(congestion.maxWindowPackets ?? 0) packets"
                + ", \(congestion.finalWindowPackets ?? 0) at the end"
            if let srtt = congestion.smoothedRTT { line += "; smoothed RTT \(HumanFormat.trimmed(Double(srtt) / 1e6, maximumDecimals: 3)) ms" }
            if let pacing = congestion.pacingRate { line += "; pacing at \(HumanFormat.rate(bitsPerSecond: pacing))" }
            lines.append(line)
        }
        if let tcp = report.tcpCongestionControl { lines.append("  kernel TCP congestion control: \(tcp)") }
        lines.append("  SHA-256 \(report.sha256.hex) confirmed by the receiver")
        return lines.joined(separator: "\n")
    }
}
