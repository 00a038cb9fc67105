#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing

/// `rudp-lab sweep --network external` as a class runs it between two PCs, with a network
/// namespace as the other machine: `lossproxy link` joins two namespaces, the far one runs the
/// rudp-recv a student would start by hand, and the sweep runs in the near one.
@Suite("rudp-lab sweep --network external", .serialized)
struct ExternalSweepEndToEndTests {
    static let ip: String? = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"].first { (path: String) in access(path, X_OK) == 0 }

    static let canRun: Bool = {
        #if os(Linux)
        return geteuid() == 0 && access("/dev/net/tun", R_OK | W_OK) == 0 && ip != nil
        #else
        return false
        #endif
    }()

    @Test("the far machine's receiver answers sr and tcp over the bare path, and sr with loss added here",
          .enabled(if: canRun, "needs Linux, root, /dev/net/tun and iproute2 for network namespaces"))
    func aSweepAgainstAnotherMachinesReceiver() throws {
        let (near, far) = ("rudpext-a-\(getpid())", "rudpext-b-\(getpid())")
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("external-sweep-\(getpid())")
        try FileManager.default.createDirectory(at: scratch.appendingPathComponent("in"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }

        let link = try Self.start(ProgramRunner.url(of: "lossproxy").path, ["link", "--ns-a", near, "--ns-b", far])
        defer { Self.stop(link.process) }
        try #require(link.collector.waitFor("link up", seconds: 15), "lossproxy link: \(link.collector.snapshot())")
        let receiver = try Self.start(Self.ip!, ["netns", "exec", far, ProgramRunner.url(of: "rudp-recv").path,
                                                  "--listen", "10.77.0.2:0", "--out", scratch.appendingPathComponent("in").path])
        defer { Self.stop(receiver.process) }
        try #require(receiver.collector.waitFor("listening on 10.77.0.2:", seconds: 15), "rudp-recv: \(receiver.collector.snapshot())")
        let text = receiver.collector.snapshot()
        let port = try #require(text.range(of: "listening on 10.77.0.2:").map { Int(text[$0.upperBound...].prefix { $0.isNumber }) } ?? nil)

        // The bare path: sr and kernel TCP both reach the far receiver.
        let bare = scratch.appendingPathComponent("bare")
        let run = try ProgramRunner.run(executable: URL(fileURLWithPath: Self.ip!), [
            "netns", "exec", near, ProgramRunner.url(of: "rudp-lab").path, "sweep", "--network", "external",
            "--to", "10.77.0.2:\(port)", "--protocols", "sr,tcp", "--size", "300kB", "--repeats", "1",
            "--out", bare.path, "--quiet",
        ], timeout: 120)
        #expect(run.status == 0, "\(run.stderr)")
        let rows = try String(contentsOf: bare.appendingPathComponent("results.csv"), encoding: .utf8)
            .split(separator: "\n").dropFirst()
        #expect(rows.count == 2 && rows.allSatisfy { $0.contains(",true,") || $0.hasSuffix(",true") }, "\(rows)")
        let readme = try String(contentsOf: bare.appendingPathComponent("README.md"), encoding: .utf8)
        #expect(readme.contains("| far end | rudp-recv at 10.77.0.2:\(port), started by hand |"))
        #expect(readme.contains("round trip before the sweep"))
        #expect(readme.contains("route from this machine | 10.77.0.2 dev"), "the route names the interface toward the far end")
        // The far receiver kept every file under its own name: the probe and the two runs.
        let received = try FileManager.default.contentsOfDirectory(atPath: scratch.appendingPathComponent("in").path)
        #expect(received.filter { $0.hasPrefix("rudp-lab-") }.count == 3, "\(received)")

        // Loss added on this side by a local relay, on top of the real path.
        let lossy = scratch.appendingPathComponent("lossy")
        let lossyRun = try ProgramRunner.run(executable: URL(fileURLWithPath: Self.ip!), [
            "netns", "exec", near, ProgramRunner.url(of: "rudp-lab").path, "sweep", "--network", "external",
            "--to", "10.77.0.2:\(port)", "--protocols", "sr", "--loss", "5", "--size", "300kB", "--repeats", "1",
            "--out", lossy.path, "--quiet",
        ], timeout: 120)
        #expect(lossyRun.status == 0, "\(lossyRun.stderr)")
        let summary = try #require(try JSONSerialization.jsonObject(
            with: Data(contentsOf: lossy.appendingPathComponent("summary.json"))) as? [String: Any])
        let condition = try #require((summary["conditions"] as? [[String: Any]])?.first)
        #expect((condition["retransmissions_mean"] as? Double ?? 0) > 0, "5% loss each way costs retransmissions: \(condition)")
        #expect((summary["far_end"] as? [String: Any])?["far end"] as? String == "rudp-recv at 10.77.0.2:\(port), started by hand")
    }

    @Test("a sweep against an address where no receiver runs fails at once, in one line saying what to start")
    func nobodyThereIsOneClearLine() throws {
        let run = try ProgramRunner.run("rudp-lab", ["sweep", "--network", "external", "--to", "127.0.0.1:9",
                                                     "--protocols", "sr", "--repeats", "1", "--quiet"], timeout: 90)
        #expect(run.status == 1)
        let lines = run.stderr.split(separator: "\n")
        #expect(lines.count == 1 && lines[0].contains("the probe transfer to 127.0.0.1:9 failed")
                    && lines[0].contains("rudp-recv --listen :PORT"), "\(run.stderr)")
    }

    @Test("--network external without --to, --to elsewhere, and TCP with added loss are usage errors",
          arguments: [
              (["--network", "external"], "--network external needs --to HOST:PORT"),
              (["--to", "10.0.0.2:9000"], "--to is for --network external"),
              (["--network", "external", "--to", "10.0.0.2:9000", "--protocols", "sr,tcp", "--loss", "0,2"],
               "which TCP cannot cross"),
          ])
    func mistakes(arguments: [String], message: String) throws {
        let run = try ProgramRunner.run("rudp-lab", ["sweep"] + arguments, timeout: 30)
        #expect(run.status == 2 && run.stderr.contains(message), "\(run.stderr)")
    }

    struct Started {
        let process: Process
        let collector: Collector
    }

    /// Starts a program with stdout and stderr read together.
    static func start(_ path: String, _ arguments: [String]) throws -> Started {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return Started(process: process, collector: Collector(pipe.fileHandleForReading))
    }

    static func stop(_ process: Process) {
        guard process.isRunning else { return }
        process.interrupt()
        if !ProgramRunner.waitForExit(process, timeout: 10) { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}

extension Collector {
    /// Waits until the output contains `text`; false after `seconds`.
    func waitFor(_ text: String, seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if snapshot().contains(text) { return true }
            usleep(20_000)
        }
        return false
    }
}
