import Foundation
import Testing

/// lossproxy and `rudp-lab demo` as real processes on loopback: transfers through an impaired
/// link for each protocol, the proxy's command-line contract and statistics, and the demo.
@Suite(.serialized) struct ProxyEndToEndTests {
    static let impairments = ["--loss", "10%", "--reorder", "5%", "--duplicate", "2%", "--corrupt", "1%", "--delay", "2ms"]

    @Test(arguments: [("sw", 60_000), ("gbn", 600_000), ("sr", 1_000_000)])
    func filesCrossALossyReorderingDuplicatingCorruptingLinkIntact(protocolName: String, size: Int) throws {
        let fixture = try ReceiverFixture(receiverArguments: ["--once", "--json"])
        defer { fixture.finish() }
        let original = try fixture.scratch.randomFile("payload.bin", size: size)
        let receiver = fixture.receiver
        let proxy = try RunningProxy(to: receiver.address, arguments: Self.impairments + ["--seed", "11", "--json"])
        defer { proxy.stop() }

        let sent = try ProgramRunner.run(
            "rudp-send", [fixture.scratch.file("payload.bin").path, proxy.address, "--protocol", protocolName, "--json"], timeout: 60)
        #expect(sent.status == 0, "rudp-send failed: \(sent.stderr)")
        // A --once receiver whose three closing ACKs were all lost waits as long as the sender
        // could still resend its FIN: (10 retries + 1) × 4 s at most.
        #expect(receiver.waitForExit(timeout: 60) == 0)
        #expect(try fixture.received("payload.bin") == original)

        let summary = try #require(try JSONSerialization.jsonObject(with: Data(sent.stdout.utf8)) as? [String: Any])
        #expect((summary["retransmissions"] as? Int ?? 0) > 0, "losses were recovered by retransmission")
        let received = try #require(try JSONSerialization.jsonObject(with: Data(receiver.stdout.text().utf8)) as? [String: Any])
        #expect(received["status"] as? String == "ok")
        #expect(received["sha256"] as? String == summary["sha256"] as? String)

        let final = try #require(proxy.stopAndReadFinalReport())
        let forward = try #require(final["forward"] as? [String: Any])
        let reverse = try #require(final["reverse"] as? [String: Any])
        let dropped = (forward["dropped"] as? Int ?? 0) + (reverse["dropped"] as? Int ?? 0)
        #expect(dropped > 0, "the proxy dropped datagrams: \(final)")
        #expect((forward["in"] as? Int ?? 0) >= size / 1200, "every data packet crossed the proxy")
    }

    @Test func proxyStatisticsAreJSONLinesEndingWithAFinalReport() throws {
        let proxy = try RunningProxy(to: "127.0.0.1:9", arguments: ["--stats", "100ms", "--json", "--loss", "50%", "--seed", "3"])
        let client = try UDPClient()
        for _ in 0..<40 { try client.send(Data(repeating: 7, count: 100), to: proxy.port) }
        usleep(350_000)
        let status = proxy.stop()
        #expect(status == 1, "SIGINT ends lossproxy with status 1")
        let lines = proxy.stdout.text().split(separator: "\n").map(String.init)
        #expect(lines.count >= 3, "periodic reports: \(lines)")
        let reports = try lines.map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        #expect(reports.dropLast().allSatisfy { $0["final"] as? Bool == false })
        let final = try #require(reports.last)
        #expect(final["final"] as? Bool == true)
        let forward = try #require(final["forward"] as? [String: Any])
        #expect(forward["in"] as? Int == 40)
        let lost = (forward["dropped_by"] as? [String: Any])?["loss"] as? Int ?? 0
        #expect(lost > 5 && lost < 35, "about half of 40 lost: \(lost)")
        #expect(proxy.stderr.text().contains("interrupted by SIGINT"))
    }

    @Test func proxyCommandLineContract() throws {
        let help = try ProgramRunner.run("lossproxy", ["--help"])
        #expect(help.status == 0)
        for flag in ["--listen", "--to", "--loss", "--loss-burst", "--delay", "--jitter", "--reorder", "--duplicate",
                     "--corrupt", "--rate", "--queue", "--drop", "--seed", "--stats", "--json", "Examples:"] {
            #expect(help.stdout.contains(flag), "help lacks \(flag)")
        }
        #expect(try ProgramRunner.run("lossproxy", ["--version"]).stdout.hasPrefix("lossproxy "))
        for arguments in [["--listen", ":0", "--to", "127.0.0.1:9", "--loss", "150%"],
                          ["--listen", ":0", "--to", "127.0.0.1:9", "--rate", "0"],
                          ["--listen", ":0", "--to", "127.0.0.1:9", "--delay", "soon"],
                          ["--listen", ":0"]] {
            let result = try ProgramRunner.run("lossproxy", arguments)
            #expect(result.status == 2, "\(arguments): \(result.stderr)")
            #expect(result.stderr.split(separator: "\n").count == 1 && result.stderr.hasPrefix("lossproxy: "))
        }
    }

    @Test func demoSendsAFileThroughTheProxyAndConfirmsIt() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let result = try runLab(["demo", "--size", "500KB", "--seed", "5"], temporaryDirectory: scratch.url, timeout: 60)
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(result.stdout.contains("arrived intact"), "stdout: \(result.stdout)")
        #expect(result.stdout.contains("Sender:") && result.stdout.contains("Receiver:") && result.stdout.contains("Proxy:"))
        #expect(result.stderr.contains("lossproxy --listen 127.0.0.1:0"), "the demo shows the commands it runs")
        #expect(scratch.contents().isEmpty, "temporary files removed: \(scratch.contents())")
    }

    /// A long demo started with `TMPDIR` = `scratch`, once its sender runs; and the `--to` words
    /// that find its proxy among the processes (the receiver and the sender name `scratch`).
    private func startLongDemo(in scratch: ScratchDirectory) throws -> (Process, Collector, String) {
        let demo = Process()
        demo.executableURL = ProgramRunner.url(of: "rudp-lab")
        demo.arguments = ["demo", "--protocol", "sw", "--size", "20MB", "--delay", "20ms"]
        demo.environment = ProcessInfo.processInfo.environment.merging(["TMPDIR": scratch.url.path]) { $1 }
        let err = Pipe()
        demo.standardError = err
        demo.standardOutput = FileHandle.nullDevice
        demo.standardInput = FileHandle.nullDevice
        try demo.run()
        let stderr = Collector(err.fileHandleForReading)
        let deadline = Date().addingTimeInterval(20)
        while !stderr.snapshot().contains("sender:") && Date() < deadline && demo.isRunning { usleep(20_000) }
        usleep(300_000)
        let proxyLine = stderr.snapshot().split(separator: "\n").first { $0.contains("proxy:    lossproxy") }
        let proxyTarget = try #require(proxyLine?.range(of: "--to 127.0.0.1:").map { range in
            "--to 127.0.0.1:" + proxyLine![range.upperBound...].prefix { $0.isNumber } + " "
        })
        #expect(processes(mentioning: scratch.url.path).count == 2, "receiver and sender run")
        #expect(processes(mentioning: proxyTarget).count == 1, "the proxy runs")
        return (demo, stderr, proxyTarget)
    }

    /// Kills what a failing demo test would otherwise leave running (a demo that did not take
    /// its children with it): the test stays bounded, and the next one starts clean.
    private func killLeftovers(scratch: ScratchDirectory, proxyTarget: String) {
        for pid in processes(mentioning: scratch.url.path) + processes(mentioning: proxyTarget) { kill(pid, SIGKILL) }
    }

    @Test("SIGINT, SIGTERM or SIGHUP (a closed terminal) stops the demo's processes and removes its files",
          arguments: [SIGINT, SIGTERM, SIGHUP])
    func interruptingTheDemoStopsItsProcessesAndRemovesItsFiles(signal: Int32) throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let (demo, stderr, proxyTarget) = try startLongDemo(in: scratch)
        defer { killLeftovers(scratch: scratch, proxyTarget: proxyTarget) }
        kill(demo.processIdentifier, signal)
        let stopped = ProgramRunner.waitForExit(demo, timeout: 10)
        #expect(stopped)
        if !stopped {
            kill(demo.processIdentifier, SIGKILL)
            _ = ProgramRunner.waitForExit(demo, timeout: 5)
        }
        #expect(demo.terminationStatus == 1)
        let name = [SIGINT: "SIGINT", SIGTERM: "SIGTERM", SIGHUP: "SIGHUP"][signal]!
        #expect(stderr.text().contains("interrupted by \(name)"))
        #expect(processes(mentioning: scratch.url.path).isEmpty && processes(mentioning: proxyTarget).isEmpty,
                "no child process left")
        #expect(scratch.contents().isEmpty, "temporary files removed: \(scratch.contents())")
    }

    @Test("a demo killed with SIGKILL takes its processes with it, and the next demo removes its directory")
    func aKilledDemoLeavesNothingForLong() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let (demo, _, proxyTarget) = try startLongDemo(in: scratch)
        defer { killLeftovers(scratch: scratch, proxyTarget: proxyTarget) }
        kill(demo.processIdentifier, SIGKILL)
        #expect(ProgramRunner.waitForExit(demo, timeout: 10))
        let childrenGone = waitUntil(seconds: 10) {
            processes(mentioning: scratch.url.path).isEmpty && processes(mentioning: proxyTarget).isEmpty
        }
        #expect(childrenGone, "the children died with the demo")
        let leftovers = scratch.contents()
        #expect(leftovers.count == 1 && leftovers.first?.hasPrefix("rudp-lab-demo.") == true, "\(leftovers)")
        let next = try runLab(["demo", "--size", "20KB", "--loss", "0", "--reorder", "0", "--delay", "1ms"],
                              temporaryDirectory: scratch.url, timeout: 60)
        #expect(next.status == 0, "\(next.stderr)")
        #expect(next.stderr.contains("left by a demo that was killed"), "\(next.stderr)")
        #expect(scratch.contents().isEmpty, "\(scratch.contents())")
    }

    @Test func labHelpListsTheDemo() throws {
        let help = try ProgramRunner.run("rudp-lab", ["--help"])
        #expect(help.status == 0 && help.stdout.contains("demo"))
        let demoHelp = try ProgramRunner.run("rudp-lab", ["demo", "--help"])
        #expect(demoHelp.status == 0)
        for flag in ["--protocol", "--loss", "--delay", "--size"] { #expect(demoHelp.stdout.contains(flag)) }
        let bad = try ProgramRunner.run("rudp-lab", ["demo", "--protocol", "tcp"])
        #expect(bad.status == 2 && bad.stderr.split(separator: "\n").count == 1)
    }

    // MARK: - Helpers

    /// Runs rudp-lab with `TMPDIR` pointing at `temporaryDirectory`.
    private func runLab(_ arguments: [String], temporaryDirectory: URL, timeout: Double) throws -> ProgramRunner.Result {
        let process = Process()
        process.executableURL = ProgramRunner.url(of: "rudp-lab")
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(["TMPDIR": temporaryDirectory.path]) { $1 }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        let start = Date()
        try process.run()
        let stdout = Collector(out.fileHandleForReading), stderr = Collector(err.fileHandleForReading)
        if !ProgramRunner.waitForExit(process, timeout: timeout) {
            process.interrupt()
            if !ProgramRunner.waitForExit(process, timeout: 10) { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
            Issue.record("rudp-lab \(arguments) did not finish within \(timeout) s")
        }
        return ProgramRunner.Result(status: process.terminationStatus, stdout: stdout.text(), stderr: stderr.text(),
                                    seconds: Date().timeIntervalSince(start))
    }

    /// PIDs of processes whose command line contains `text`.
    private func processes(mentioning text: String) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { entry -> Int32? in
            guard let pid = Int32(entry), pid != getpid(),
                  let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") else { return nil }
            let commandLine = String(decoding: data.map { $0 == 0 ? 32 : $0 }, as: UTF8.self)
            return commandLine.contains(text) ? pid : nil
        }
    }
}

/// A running lossproxy on a kernel-chosen loopback port, stopped with SIGINT at the end.
final class RunningProxy {
    let process: Process
    let port: Int
    let stdout: Collector
    let stderr: Collector

    init(to server: String, arguments: [String], fileDescriptorLimit: Int? = nil) throws {
        let started = try ProgramRunner.startListening("lossproxy", ["--to", server] + arguments,
                                                       fileDescriptorLimit: fileDescriptorLimit)
        (process, port, stdout, stderr) = (started.process, started.port, started.stdout, started.stderr)
    }

    var address: String { "127.0.0.1:\(port)" }

    /// Stops the proxy with SIGINT (it prints its final statistics) and returns its status.
    @discardableResult
    func stop() -> Int32 {
        if process.isRunning {
            process.interrupt()
            if !ProgramRunner.waitForExit(process, timeout: 10) {
                Issue.record("lossproxy ignored SIGINT for 10 s")
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
            }
        }
        return process.terminationStatus
    }

    /// Stops the proxy and returns its last JSON report (the final one).
    func stopAndReadFinalReport() -> [String: Any]? {
        stop()
        guard let last = stdout.text().split(separator: "\n").last else { return nil }
        return (try? JSONSerialization.jsonObject(with: Data(last.utf8))) as? [String: Any]
    }

    deinit { stop() }
}

/// A plain UDP socket sending to loopback ports.
final class UDPClient {
    let fd: Int32

    init() throws {
        fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EMFILE) }
    }

    deinit { close(fd) }

    func send(_ data: Data, to port: Int) throws {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let sent = data.withUnsafeBytes { bytes in
            withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(fd, bytes.baseAddress, bytes.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
        #expect(sent == data.count)
    }
}
