import CLIKit
import Foundation
import SystemKit

/// The migration row over the real network: a second `lossproxy link` with the same impairments
/// and `--rebind`, and real rudp-send and rudp-recv processes sending a file over RUDP and over
/// kernel TCP while side A's source ports move.
extension WhyUDPLinkRunner {
    func migration(_ plan: WhyUDPPlan, impairments: [String], progress: (String) -> Void) -> [MigrationResult] {
        let interval = "\(plan.rebindInterval)ns"
        let link: ChildProcess
        do {
            link = try LinkNetwork.startLink(programs, namespaces: (namespaceA, namespaceB),
                                             impairments: impairments + ["--rebind", interval, "--rate", "\(plan.migrationRate)bit", "--queue", "100"])
        } catch {
            let reason = "not measured: the link with --rebind did not start (\(error))"
            return [.notMeasured("RUDP", reason), .notMeasured("TCP", reason)]
        }
        defer { link.stop(timeout: 10) }
        guard let ip = LinkNetwork.ipCommand else {
            let reason = "not measured: the ip command (iproute2) is not installed"
            return [.notMeasured("RUDP", reason), .notMeasured("TCP", reason)]
        }
        let work = NSTemporaryDirectory() + "rudp-lab-migration-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: work) }
        var results: [MigrationResult] = []
        for (title, protocolName) in [("RUDP", "sr"), ("TCP", "tcp")] {
            progress("file transfer over \(title) while side A's ports move every "
                + "\(ReportNumbers.plain(Double(plan.rebindInterval) / 1e9, decimals: 1)) s …")
            results.append(transfer(title, protocolName: protocolName, plan: plan, ip: ip, work: work))
        }
        return results
    }

    private func transfer(_ title: String, protocolName: String, plan: WhyUDPPlan, ip: String, work: String) -> MigrationResult {
        do {
            try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
            let real = RealTransfer(programs: programs, workDirectory: work)
            let file = try real.inputFile(size: plan.migrationFileSize)
            let (receiver, port) = try real.startReceiver(listen: "\(LinkNetwork.receiverAddress):0",
                                                          prefix: [ip, "netns", "exec", namespaceB])
            defer { receiver.stop() }
            let started = Date()
            // RUDP's trace gives the stalls (the gaps between acknowledgements); TCP has none.
            let trace = protocolName == "tcp" ? nil : work + "/migration-\(protocolName).jsonl"
            let sender = try ChildProcess.launched(path: ip, arguments: [
                "netns", "exec", namespaceA, try programs.executable("rudp-send"), file,
                "\(LinkNetwork.receiverAddress):\(port)", "--protocol", protocolName, "--name", "migration-\(protocolName).bin",
                "--json"] + (trace.map { ["--trace", $0] } ?? []))
            let status = sender.waitForExit(timeout: 300)
            var result = MigrationResult(transport: title, intact: status == 0)
            let summary = sender.stdoutLines.last { $0.hasPrefix("{") }.flatMap { try? JSONValue(parsing: $0) }
            result.seconds = summary?["seconds"]?.doubleValue ?? Date().timeIntervalSince(started)
            if status != 0 { result.failure = sender.lastErrorLine ?? "rudp-send did not finish within 300 s" }
            if let trace {
                if let stall = Self.longestAcknowledgementGap(inTrace: trace) {
                    result.longestStallMilliseconds = stall.milliseconds
                    result.timeoutAtLongestStallMilliseconds = stall.timeoutMilliseconds
                }
                // The receiver (--once) reports the moves it followed in its JSON line as it exits.
                _ = receiver.waitForExit(timeout: 30)
                let report = receiver.stdoutLines.last { $0.hasPrefix("{") }.flatMap { try? JSONValue(parsing: $0) }
                result.migrations = report?["migrations"]?.intValue
            }
            return result
        } catch {
            return .notMeasured(title, "not measured: \(error)")
        }
    }

    /// The longest time between two acknowledgements in a sender's trace, after the second
    /// (as the simulator counts it: the first two wait for the handshake), in milliseconds.
    /// With it, the retransmission timeout the trace last reported before that gap began.
    static func longestAcknowledgementGap(inTrace path: String) -> (milliseconds: Double, timeoutMilliseconds: Double?)? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        var previous: (time: Double, rto: Double?)?, longest: (milliseconds: Double, timeoutMilliseconds: Double?)?
        var seen = 0, rto: Double?
        for line in text.split(separator: "\n") {
            // An acknowledgement is "ack", or "sack" when it reports holes: both are news.
            let isAck = line.contains("\"event\":\"ack\"") || line.contains("\"event\":\"sack\"")
            let isTimeout = line.contains("\"event\":\"rto\"")
            guard isAck || isTimeout, let event = try? JSONValue(parsing: String(line)) else { continue }
            if isTimeout {
                rto = event["rto_ms"]?.doubleValue
                continue
            }
            guard let time = event["t"]?.doubleValue else { continue }
            seen += 1
            if seen >= 3, let previous, (time - previous.time) * 1_000 > longest?.milliseconds ?? -1 {
                longest = ((time - previous.time) * 1_000, previous.rto)
            }
            previous = (time, rto)
        }
        return longest
    }
}
