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
            let sender = try ChildProcess.launched(path: ip, arguments: [
                "netns", "exec", namespaceA, try programs.executable("rudp-send"), file,
                "\(LinkNetwork.receiverAddress):\(port)", "--protocol", protocolName, "--name", "migration-\(protocolName).bin",
                "--json"])
            let status = sender.waitForExit(timeout: 300)
            var result = MigrationResult(transport: title, intact: status == 0)
            let summary = sender.stdoutLines.last { $0.hasPrefix("{") }.flatMap { try? JSONValue(parsing: $0) }
            result.seconds = summary?["seconds"]?.doubleValue ?? Date().timeIntervalSince(started)
            if status != 0 { result.failure = sender.lastErrorLine ?? "rudp-send did not finish within 300 s" }
            return result
        } catch {
            return .notMeasured(title, "not measured: \(error)")
        }
    }
}
