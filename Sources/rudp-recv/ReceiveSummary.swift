import CLIKit
import RUDPNet
import SystemKit

/// The receiver's per-transfer line, for people and for scripts.
enum ReceiveSummary {
    static func json(_ report: ReceivedFileReport) -> JSONValue {
        var members: [(key: String, value: JSONValue)] = [
            ("file", .string(report.name)),
            ("bytes", .integer(report.bytes)),
            ("seconds", .double(report.seconds)),
            ("protocol", .string(report.protocolName)),
            ("sha256", report.sha256.map { .string($0.hex) } ?? .null),
            ("status", .string(report.succeeded ? "ok" : "failed")),
        ]
        if let error = report.error { members.append(("error", .string(error))) }
        members.append(("peer", .string(report.peer)))
        if let migrations = report.migrations { members.append(("migrations", .int(migrations))) }
        return .object(members)
    }

    static func human(_ report: ReceivedFileReport) -> String {
        if let error = report.error {
            return "transfer of '\(report.name)' from \(report.peer) failed: \(error)"
        }
        let rate = report.seconds > 0 ? Double(report.bytes) * 8 / report.seconds : 0
        return "received '\(report.name)' from \(report.peer) over \(report.protocolName): \(HumanFormat.bytes(report.bytes)) in "
            + "\(HumanFormat.duration(seconds: report.seconds)), \(HumanFormat.rate(bitsPerSecond: rate)), SHA-256 \(report.sha256?.hex ?? "")"
            + (report.migrations.map { $0 > 0 ? "; followed the sender to a new address \($0) time\($0 == 1 ? "" : "s")" : "" } ?? "")
    }
}
