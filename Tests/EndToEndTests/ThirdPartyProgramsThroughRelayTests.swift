import CLIKit
import Foundation
import SystemKit
import Testing

/// Programs nobody here wrote, run through `lossproxy`'s relay as a user would: a TFTP server
/// that answers from a new port, a DNS server over UDP and TCP, and iperf3 with its TCP control
/// channel. Each skips, saying what is missing, when the program is not installed (CI installs
/// them: atftp atftpd dnsmasq-base dnsutils iperf3).
@Suite(.serialized) struct ThirdPartyProgramsThroughRelayTests {
    static func installed(_ names: String...) -> Bool {
        names.allSatisfy { name in
            ["/usr/bin/", "/usr/sbin/", "/bin/", "/sbin/", "/usr/local/bin/"].contains {
                FileManager.default.isExecutableFile(atPath: $0 + name)
            }
        }
    }

    static func path(of name: String) -> String {
        ["/usr/bin/", "/usr/sbin/", "/bin/", "/sbin/", "/usr/local/bin/"].map { $0 + name }
            .first { FileManager.default.isExecutableFile(atPath: $0) } ?? name
    }

    @Test(.enabled(if: installed("atftp", "atftpd"), "needs atftp and atftpd (apt-get install atftp atftpd)"))
    func atftpFetchesAFileFromAtftpdWhoseRepliesComeFromANewPort() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let served = scratch.file("served")
        try FileManager.default.createDirectory(at: served, withIntermediateDirectories: true)
        let original = try scratch.randomFile("served/f.bin", size: 300_000)
        let tftpPort = try Self.freePort()
        let user = "\(String(cString: getpwuid(geteuid()).pointee.pw_name)).\(String(cString: getgrgid(getegid()).pointee.gr_name))"
        let server = try Background(Self.path(of: "atftpd"), [
            "--daemon", "--no-fork", "--port", "\(tftpPort)", "--bind-address", "127.0.0.1", "--user", user,
            "--logfile", scratch.file("atftpd.log").path, served.path,
        ])
        defer { server.stop() }
        usleep(300_000)
        let proxy = try ProgramRunner.startListening("lossproxy", ["--to", "127.0.0.1:\(tftpPort)", "--json"])
        defer { Background.stop(proxy.process) }

        let fetched = scratch.file("fetched.bin")
        let client = try ProgramRunner.run(executable: URL(fileURLWithPath: Self.path(of: "atftp")),
                                           ["--get", "-r", "f.bin", "-l", fetched.path, "127.0.0.1", "\(proxy.port)"],
                                           timeout: 60)
        #expect(client.status == 0, "atftp: \(client.stderr)")
        #expect((try? Data(contentsOf: fetched)) == original, "the fetched file differs")

        let report = try #require(Background.finalReport(of: proxy))
        // 293 DATA blocks of 512 bytes and the last: every one came from the server's new port.
        #expect(report["reverse"]?["from_other_port"]?.intValue ?? 0 >= 586 / 2)
        #expect(report["reply_sockets_total"]?.intValue == 1)
        #expect(report["reverse"]?["dropped"]?.intValue == 0 && report["forward"]?["dropped"]?.intValue == 0)
    }

    @Test(.enabled(if: installed("dnsmasq", "dig"), "needs dnsmasq and dig (apt-get install dnsmasq-base dnsutils)"))
    func digResolvesThroughTheRelayOverUDPAndOverTCPPassedThrough() throws {
        let dnsPort = try Self.freePort()
        let user = String(cString: getpwuid(geteuid()).pointee.pw_name)
        let server = try Background(Self.path(of: "dnsmasq"), [
            "--keep-in-foreground", "--conf-file=/dev/null", "--no-resolv", "--no-hosts", "--bind-interfaces",
            "--listen-address=127.0.0.1", "--port=\(dnsPort)", "--address=/lab.test/10.1.2.3", "--user=\(user)",
            "--pid-file",
        ])
        defer { server.stop() }
        usleep(300_000)
        let proxy = try ProgramRunner.startListening("lossproxy", ["--to", "127.0.0.1:\(dnsPort)", "--tcp-passthrough", "--json"])
        defer { Background.stop(proxy.process) }

        let dig = URL(fileURLWithPath: Self.path(of: "dig"))
        let overUDP = try ProgramRunner.run(executable: dig, ["@127.0.0.1", "-p", "\(proxy.port)", "lab.test", "+short",
                                                              "+tries=3", "+time=2"], timeout: 30)
        #expect(overUDP.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "10.1.2.3", "dig: \(overUDP.stdout) \(overUDP.stderr)")
        let overTCP = try ProgramRunner.run(executable: dig, ["@127.0.0.1", "-p", "\(proxy.port)", "lab.test", "+short",
                                                              "+tcp", "+tries=1", "+time=3"], timeout: 30)
        #expect(overTCP.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "10.1.2.3", "dig +tcp: \(overTCP.stdout) \(overTCP.stderr)")

        let report = try #require(Background.finalReport(of: proxy))
        #expect(report["forward"]?["out"]?.intValue ?? 0 >= 1 && report["reverse"]?["out"]?.intValue ?? 0 >= 1)
        #expect(report["tcp"]?["connections"]?.intValue == 1)
        #expect(report["tcp"]?["bytes_to_clients"]?.intValue ?? 0 > 0)
    }

    @Test(.enabled(if: installed("iperf3"), "needs iperf3 (apt-get install iperf3)"))
    func iperf3RunsThroughTheRelayAndItsLossAgreesWithTheProxys() throws {
        let port = try Self.freePort(alsoTCP: true)
        let server = try Background(Self.path(of: "iperf3"), ["-s", "-p", "\(port)", "-1", "--bind", "127.0.0.1"])
        defer { server.stop() }
        usleep(300_000)
        // Seed 3 keeps iperf3's single handshake datagram: losing it hangs iperf3 (its design).
        let proxy = try ProgramRunner.startListening(
            "lossproxy", ["--to", "127.0.0.1:\(port)", "--tcp-passthrough", "--forward-loss", "5%", "--seed", "3", "--json"])
        defer { Background.stop(proxy.process) }

        let client = try ProgramRunner.run(executable: URL(fileURLWithPath: Self.path(of: "iperf3")),
                                           ["-c", "127.0.0.1", "-p", "\(proxy.port)", "-u", "-b", "10M", "-t", "2", "--json"],
                                           timeout: 40)
        #expect(client.status == 0, "iperf3: \(client.stdout.suffix(400)) \(client.stderr)")
        let iperf = try #require(try? JSONSerialization.jsonObject(with: Data(client.stdout.utf8)) as? [String: Any])
        let sum = try #require((iperf["end"] as? [String: Any])?["sum"] as? [String: Any])
        let lost = try #require(sum["lost_packets"] as? Int), packets = try #require(sum["packets"] as? Int)

        let report = try #require(Background.finalReport(of: proxy))
        let dropped = try #require(report["forward"]?["dropped_by"]?["loss"]?.intValue)
        // iperf3 counts exactly the datagrams the proxy dropped (its handshake datagram aside).
        #expect(lost == dropped, "iperf3 lost \(lost) of \(packets); the proxy dropped \(dropped)")
        #expect(dropped > 0 && packets > 20)
        #expect(report["tcp"]?["connections"]?.intValue ?? 0 >= 1)
    }

    /// A loopback port free for UDP (and TCP if asked) a moment ago.
    static func freePort(alsoTCP: Bool = false) throws -> Int {
        for _ in 0..<20 {
            let socket = try UDPSocket(bindingTo: .loopback(.ipv4, port: 0))
            let port = socket.localAddress.port
            defer { socket.close() }
            if alsoTCP {
                guard let listener = try? TCPListener(bindingTo: .loopback(.ipv4, port: port)) else { continue }
                listener.close()
            }
            return Int(port)
        }
        throw ProgramDidNotStart(program: "freePort", stderr: "no free port found")
    }
}

/// A third-party server running for the length of a test, its output discarded.
///
/// Started with SystemKit's `ChildProcess`, not Foundation's `Process`: Foundation's child monitor
/// blocked in `wait4` on a running dnsmasq after another child exited, so every later `Process`
/// (dig) was never seen to end.
final class Background {
    let child: ChildProcess

    init(_ executable: String, _ arguments: [String]) throws {
        child = try ChildProcess(path: executable, arguments: arguments, stdout: .discarded, stderr: .discarded)
    }

    func stop() { child.stop(timeout: 5) }

    static func stop(_ process: Process) {
        guard process.isRunning else { return }
        process.terminate()
        if !ProgramRunner.waitForExit(process, timeout: 5) { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    /// Stops a `lossproxy --json` with SIGINT and returns its final statistics report.
    static func finalReport(of proxy: ProgramRunner.Listening) -> JSONValue? {
        proxy.process.interrupt()
        _ = ProgramRunner.waitForExit(proxy.process, timeout: 10)
        let lines = proxy.stdout.text().split(separator: "\n")
        return lines.last.flatMap { try? JSONValue(parsing: String($0)) }
    }
}
