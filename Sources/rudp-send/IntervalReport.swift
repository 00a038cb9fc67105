import CLIKit
import RUDP
import RUDPNet

/// `--interval DUR`: what the transfer did in each interval (iperf3's `-i`), as one JSON object
/// per interval on stdout with `--json`, or one line on stderr for people:
///
///     {"event":"interval","start":0.9,"end":1.0,"bytes":125000,"goodput_mbps":10.0,
///      "bytes_acked":1250000,"retransmissions":3,"srtt_ms":21.3,"cwnd":34,"cc":"bbr"}
///
/// `bytes` were acknowledged within the interval, `bytes_acked` since the start (TCP: by the
/// receiver's kernel); `retransmissions` count since the start; `srtt_ms` and `cwnd` (packets,
/// TCP: segments) are the sender's at the interval's end and absent until known. Times are
/// seconds since the transfer started, as the summary's `seconds`.
struct IntervalReport {
    let interval: UInt64
    let startTime: UInt64
    private var lastTime: UInt64
    private var lastBytes: UInt64 = 0

    init(interval: UInt64, startTime: UInt64) {
        self.interval = interval
        self.startTime = startTime
        lastTime = startTime
    }

    /// The report of the interval that `progress` at `now` closes, or nil while it is not over.
    mutating func record(_ progress: SendProgress, now: UInt64) -> JSONValue? {
        guard now &- lastTime >= interval else { return nil }
        defer {
            lastTime = now
            lastBytes = progress.bytesAcknowledged
        }
        let seconds = Double(now - lastTime) / 1e9
        let bytes = progress.bytesAcknowledged - min(lastBytes, progress.bytesAcknowledged)
        func rounded(_ value: Double) -> JSONValue { .double((value * 1e6).rounded() / 1e6) }
        var members: [(key: String, value: JSONValue)] = [
            ("event", "interval"),
            ("start", rounded(Double(lastTime - startTime) / 1e9)),
            ("end", rounded(Double(now - startTime) / 1e9)),
            ("bytes", .integer(bytes)),
            ("goodput_mbps", rounded(Double(bytes) * 8 / seconds / 1e6)),
            ("bytes_acked", .integer(progress.bytesAcknowledged)),
            ("retransmissions", .int(progress.retransmissions)),
        ]
        if let rtt = progress.smoothedRTT { members.append(("srtt_ms", rounded(Double(rtt) / 1e6))) }
        if let window = progress.congestionWindow { members.append(("cwnd", .int(window))) }
        if let algorithm = progress.congestionControl { members.append(("cc", .string(algorithm.rawValue))) }
        if let tcp = progress.tcpCongestionControl { members.append(("tcp_cc", .string(tcp))) }
        return .object(members)
    }

    /// The human line for one interval's report: `[ 0.9– 1.0 s] 125 kB, 10.0 Mbit/s; …`.
    static func human(_ report: JSONValue) -> String {
        func seconds(_ key: String) -> String { HumanFormat.fixed(report[key]?.doubleValue ?? 0, decimals: 1) }
        var line = "[\(seconds("start"))–\(seconds("end")) s] \(HumanFormat.bytes(UInt64(report["bytes"]?.intValue ?? 0))), "
            + HumanFormat.rate(bitsPerSecond: (report["goodput_mbps"]?.doubleValue ?? 0) * 1e6)
            + "; \(HumanFormat.bytes(UInt64(report["bytes_acked"]?.intValue ?? 0))) acknowledged, "
            + "\(report["retransmissions"]?.intValue ?? 0) retransmitted"
        if let rtt = report["srtt_ms"]?.doubleValue { line += ", RTT \(HumanFormat.trimmed(rtt, maximumDecimals: 1)) ms" }
        if let window = report["cwnd"]?.intValue { line += ", window \(window)" }
        return line
    }
}
