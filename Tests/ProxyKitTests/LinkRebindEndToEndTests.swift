import CLIKit
import Foundation
import SystemKit
import Testing

@testable import ProxyKit

/// `lossproxy link --rebind` between real namespaces: A's source ports move every 200 ms while
/// files cross 10 ms of delay and 1 % loss each way. RUDP follows the sender after path
/// validation; TCP's connection is keyed by its ports, so the rebinding breaks it, and its
/// outcome is reported as it happens. Root only; part of the link suite, so that it never
/// shares the cores with another link's timing checks.
extension LinkEndToEndTests {
    @Test("rudp-send sr through a link rebinding every 200 ms arrives intact; TCP's fate is reported")
    func transfersWhileTheLinkRebinds() throws {
        let (a, b) = (LinkTestSupport.uniqueNamespace("rebind-a"), LinkTestSupport.uniqueNamespace("rebind-b"))
        defer { LinkTestSupport.removeNamespaces([a, b]) }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("link-rebind-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let original = Data((0..<4_000_000).map { _ in UInt8.random(in: 0...255) })
        let source = directory.appendingPathComponent("source.bin")
        try original.write(to: source)
        let received = directory.appendingPathComponent("received")
        try FileManager.default.createDirectory(at: received, withIntermediateDirectories: true)

        let link = try RunningLink(a, b, ["--delay", "10ms", "--loss", "1%", "--rebind", "200ms", "--seed", "14", "--json"])
        var outcomes: [String: (status: Int32, stderr: String)] = [:]
        for protocolName in ["sr", "tcp"] {
            let receiver = try LinkTestSupport.startIn(
                b, LinkTestSupport.program("rudp-recv"),
                ["--listen", "10.77.0.2:9000", "--out", received.path, "--once", "--overwrite", "--idle-timeout", "5s"])
            try #require(receiver.waitFor(timeout: 10) { _, stderr in stderr.contains("listening on") },
                         "rudp-recv did not start: \(receiver.stderr)")
            let sender = try LinkTestSupport.startIn(
                a, LinkTestSupport.program("rudp-send"),
                [source.path, "10.77.0.2:9000", "--protocol", protocolName, "--name", "\(protocolName).bin", "--json",
                 "--max-retries", "4"])
            let sent = sender.finish(timeout: 40)
            _ = receiver.finish(timeout: 15)
            #expect(!sent.timedOut, "\(protocolName) sender hung: \(sent.stderr)")
            outcomes[protocolName] = (sent.status, sent.stderr)
        }
        let sr = try #require(outcomes["sr"])
        #expect(sr.status == 0, "RUDP through the rebinding link: \(sr.stderr)")
        #expect((try? Data(contentsOf: received.appendingPathComponent("sr.bin"))) == original)
        let tcp = try #require(outcomes["tcp"])
        let tcpIntact = (try? Data(contentsOf: received.appendingPathComponent("tcp.bin"))) == original
        print("LinkRebindEndToEndTests: TCP through a link rebinding every 200 ms: status \(tcp.status), "
            + (tcpIntact ? "file intact" : "no file") + "; \(tcp.stderr.split(separator: "\n").last ?? "")")
        #expect(tcp.status == 0 || !tcpIntact, "a failed TCP transfer saves no file")

        let stopped = link.stop()
        let final = try #require(stopped.stdout.split(separator: "\n").last.flatMap { try? JSONValue(parsing: String($0)) })
        #expect((final["rebinds"]?.intValue ?? 0) >= 3, "the link rebound during the transfers: \(stopped.stdout)")
    }

    @Test("rudp-lab why-udp --network link: the migration row shows RUDP intact and TCP's outcome")
    func whyUDPMigrationRowOnTheLink() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("why-udp-link-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let lab = try ChildProcess(path: LinkTestSupport.program("rudp-lab"), arguments: [
            "why-udp", "--network", "link", "--duration", "1s", "--requests", "3", "--out", directory.path])
        let status = lab.waitForExit(timeout: 240)
        #expect(status == 0, "\(lab.lastErrorLine ?? "")")
        let summary = try JSONValue(parsing: try String(contentsOfFile: directory.path + "/summary.json", encoding: .utf8))
        let transfers = try #require(summary["migration"]?["transfers"]?.arrayValue)
        #expect(transfers.map { $0["transport"]?.stringValue } == ["RUDP", "TCP"])
        #expect(transfers[0]["intact"]?.boolValue == true, "\(transfers[0])")
        #expect(transfers[1]["status"]?.stringValue == "measured", "TCP's outcome is reported, whatever it is")
        // Moves from rudp-recv's JSON, stalls from the sender's trace: measured on the link too.
        let seconds = try #require(transfers[0]["seconds"]?.doubleValue)
        let moves = try #require(transfers[0]["migrations"]?.intValue, "\(transfers[0])")
        #expect(moves >= 1 && Double(moves) <= seconds / 2 + 1, "\(transfers[0])")
        let stall = try #require(transfers[0]["longest_stall_ms"]?.doubleValue, "\(transfers[0])")
        #expect(stall > 0 && stall < seconds * 1_000, "\(transfers[0])")
        #expect(transfers[0]["rto_at_longest_stall_ms"]?.doubleValue != nil, "\(transfers[0])")
        let readme = try String(contentsOfFile: directory.path + "/README.md", encoding: .utf8)
        #expect(readme.contains("| RUDP | intact |"))
    }
}
