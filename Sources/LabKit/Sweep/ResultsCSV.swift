/// results.csv: one row per run, columns exactly as SPEC.md lists them.
///
/// Units: loss in percent per direction, delay in milliseconds one-way, rate in Mbit/s (0 =
/// unlimited), window in packets (empty for TCP, whose window the kernel sizes), size in
/// bytes, seconds and goodput in Mbit/s (empty for a failed run), ok `true` or `false`; then,
/// beyond SPEC.md's columns, `cc`: the congestion control the run used (for TCP the kernel's,
/// read back from the connection; empty when unknown, as in a simulation).
public enum ResultsCSV {
    public static let header = "protocol,loss,delay,rate,window,size,repeat,seconds,goodput_mbps,retransmissions,timeouts,ok,cc"

    public static func text(_ records: [RunRecord]) -> String {
        ([header] + records.map(row)).joined(separator: "\n") + "\n"
    }

    public static func row(_ record: RunRecord) -> String {
        let condition = record.condition
        var fields: [String] = [condition.labProtocol.rawValue]
        fields.append(ReportNumbers.percentNumber(condition.loss))
        fields.append(ReportNumbers.milliseconds(condition.delay))
        fields.append(ReportNumbers.mbps(condition.rate))
        fields.append(condition.window.map(String.init) ?? "")
        fields.append(String(condition.size))
        fields.append(String(record.repeatNumber))
        fields.append(record.seconds.map { ReportNumbers.fixed($0, decimals: 6) } ?? "")
        fields.append(record.goodputMbps.map { ReportNumbers.fixed($0, decimals: 4) } ?? "")
        fields.append(record.retransmissions.map(String.init) ?? "")
        fields.append(record.timeouts.map(String.init) ?? "")
        fields.append(record.ok ? "true" : "false")
        fields.append(record.congestionControl ?? "")
        return fields.joined(separator: ",")
    }
}
