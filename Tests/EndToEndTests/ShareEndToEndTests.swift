#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing

/// `rudp-lab share` as root, for real: two short flows through one 10 Mbit/s link write every
/// output, and the figures in them are those of two flows filling that link.
@Suite("rudp-lab share end to end (root)", .serialized)
struct ShareEndToEndTests {
    static let canRun: Bool = {
        #if os(Linux)
        return geteuid() == 0 && access("/dev/net/tun", R_OK | W_OK) == 0
            && ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"].contains { (path: String) in access(path, X_OK) == 0 }
        #else
        return false
        #endif
    }()

    @Test(.enabled(if: canRun, "needs Linux, root, /dev/net/tun and iproute2 for network namespaces"))
    func twoShortFlowsWriteASaneReport() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("share-e2e-\(getpid())")
        defer { try? FileManager.default.removeItem(at: out) }
        let run = try ProgramRunner.run("rudp-lab", ["share", "--flows", "sr:bbr,tcp:cubic", "--rate", "10mbit",
                                                     "--duration", "4s", "--out", out.path, "--quiet"], timeout: 90)
        #expect(run.status == 0, "\(run.stderr)")
        for file in ["README.md", "results.csv", "summary.json", "goodput.svg"] {
            #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent(file).path), "\(file) missing")
        }
        let data = try Data(contentsOf: out.appendingPathComponent("summary.json"))
        let summary = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let jain = try #require(summary["jain_index"] as? Double)
        #expect(jain >= 0.5 && jain <= 1, "Jain's index of two flows lies in [1/2, 1]: \(jain)")
        let utilisation = try #require(summary["utilisation"] as? Double)
        #expect(utilisation > 0.4 && utilisation <= 1.0, "two flows for 4 s on 10 Mbit/s: \(utilisation)")
        let flows = try #require(summary["flows"] as? [[String: Any]])
        #expect(flows.count == 2)
        #expect(flows.allSatisfy { ($0["goodput_mbps"] as? Double ?? 0) > 0 }, "\(flows)")
        #expect(flows[1]["tcp_cc"] as? String == "cubic", "the TCP flow's variant is read back from its socket")
        let queue = try #require(summary["queue_delay"] as? [String: Any])
        let base = try #require(queue["base_rtt_ms"] as? Double)
        #expect(base >= 19 && base < 30, "the idle link's RTT is about 2 × 10 ms: \(base)")
        let p95 = try #require(queue["rtt_p95_ms"] as? Double)
        #expect(p95 >= base, "a loaded link queues: \(p95) against \(base)")
        let readme = try String(contentsOf: out.appendingPathComponent("README.md"), encoding: .utf8)
        #expect(readme.contains("Jain's fairness index is"))
        let svg = try String(contentsOf: out.appendingPathComponent("goodput.svg"), encoding: .utf8)
        #expect(svg.contains("series flow 1") && svg.contains("series flow 2") && svg.contains("series probe"))
    }
}
