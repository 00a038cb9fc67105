#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CLIKit
import Foundation
import Testing

@testable import ProxyKit

/// `lossproxy link` as a real process between real namespaces: latency, loss, corruption and
/// rate as TCP and UDP see them, and the teardown. Root only; serialized, because the timing
/// checks must not share the two cores with another link's traffic.
@Suite("TUN link end to end (root)", .serialized, .enabled(if: LinkTestSupport.canRun, LinkTestSupport.skipReason))
struct LinkEndToEndTests {
    /// A UDP echo server on 10.77.0.2:7007 that prints `ready` once bound.
    static let echoServer = """
        import socket
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("10.77.0.2", 7007))
        print("ready", flush=True)
        while True:
            data, peer = s.recvfrom(65535)
            s.sendto(data, peer)
        """

    /// Sends `count` echo requests (after a warm-up that waits for the server) and prints the
    /// round-trip times in ms, one per line, `lost` for those without an answer.
    static func echoClient(count: Int, warmUp: Bool) -> String {
        """
        import socket, time
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.connect(("10.77.0.2", 7007))
        s.settimeout(0.3)
        if \(warmUp ? "True" : "False"):
            for attempt in range(30):
                try:
                    s.send(b"warm-up"); s.recv(100); break
                except (socket.timeout, ConnectionRefusedError):
                    pass
        for i in range(\(count)):
            payload = b"echo %d" % i
            start = time.perf_counter()
            s.send(payload)
            try:
                while s.recv(100) != payload:
                    pass
                print("%.3f" % ((time.perf_counter() - start) * 1000), flush=True)
            except (socket.timeout, ConnectionRefusedError):
                print("lost", flush=True)
            time.sleep(0.01)
        """
    }

    private func startEchoServer(in namespace: String) throws -> RunningProgram {
        let server = try LinkTestSupport.startIn(namespace, LinkTestSupport.python!, ["-c", Self.echoServer])
        try #require(server.waitFor(timeout: 10) { stdout, _ in stdout.contains("ready") },
                     "echo server did not start: \(server.stderr)")
        return server
    }

    private func runEchoClient(in namespace: String, count: Int, warmUp: Bool = true) throws -> [String] {
        let client = try LinkTestSupport.startIn(
            namespace, LinkTestSupport.python!, ["-c", Self.echoClient(count: count, warmUp: warmUp)])
        let result = client.finish(timeout: 30)
        #expect(result.status == 0 && !result.timedOut, "echo client: \(result.stderr)")
        return result.stdout.split(separator: "\n").map(String.init)
    }

    @Test("UDP echo across the link: no echo beats twice the delay, the quickest is within 2 ms of it",
          .enabled(if: LinkTestSupport.python != nil, "needs python3 for the echo server"))
    func echoRoundTrip() throws {
        let (a, b) = (LinkTestSupport.uniqueNamespace("echo-a"), LinkTestSupport.uniqueNamespace("echo-b"))
        defer { LinkTestSupport.removeNamespaces([a, b]) }
        let link = try RunningLink(a, b, ["--delay", "5ms", "--seed", "1"])
        let server = try startEchoServer(in: b)
        let samples = try runEchoClient(in: a, count: 40).compactMap(Double.init)
        server.signal(SIGKILL)
        let stopped = link.stop()
        try #require(samples.count == 40, "answers: \(samples.count) of 40")
        // The quickest echo shows what the link adds: scheduling on a loaded 2-core machine (the
        // parallel test run, a debug build) only adds to the others, so the median is bounded loosely.
        let (quickest, median) = (samples.min()!, samples.sorted()[samples.count / 2])
        #expect(quickest >= 10, "an echo came back faster than the delay allows: \(quickest) ms")
        #expect(quickest <= 12, "the quickest RTT \(quickest) ms for 2 × 5 ms; samples \(samples)")
        #expect(median <= 20, "median RTT \(median) ms for 2 × 5 ms; samples \(samples)")
        #expect(stopped.status == ExitCode.failure && stopped.stderr.contains("interrupted by SIGINT"))
    }

    @Test("A corrupted packet reaches the far kernel, which drops it: checksums are left alone",
          .enabled(if: LinkTestSupport.python != nil, "needs python3 for the echo server"))
    func corruptionIsCaughtByTheReceivingKernel() throws {
        let (a, b) = (LinkTestSupport.uniqueNamespace("crc-a"), LinkTestSupport.uniqueNamespace("crc-b"))
        defer { LinkTestSupport.removeNamespaces([a, b]) }
        let link = try RunningLink(a, b, ["--forward-corrupt", "100%", "--json"])
        let server = try startEchoServer(in: b)
        let answers = try runEchoClient(in: a, count: 5, warmUp: false)
        server.signal(SIGKILL)
        let stopped = link.stop()
        #expect(answers == Array(repeating: "lost", count: 5))
        let lines = stopped.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix(#"{"link":"up","ns_a":""#) == true, "\(stopped.stdout)")
        let final = try #require(lines.last.flatMap { try? JSONValue(parsing: $0) })
        #expect(final["final"]?.boolValue == true)
        let forward = try #require(final["forward"])
        // Every echo request was delivered into B, corrupted; none came back.
        #expect((forward["corrupted"]?.intValue ?? 0) >= 5)
        #expect((forward["out"]?.intValue ?? 0) >= 5)
        #expect(final["reverse"]?["in"]?.intValue == 0)
    }

    @Test("rudp-send --protocol tcp and sr across 10 ms delay and 3% loss each way: both files intact")
    func transfersOverALossyLink() throws {
        let (a, b) = (LinkTestSupport.uniqueNamespace("xfer-a"), LinkTestSupport.uniqueNamespace("xfer-b"))
        defer { LinkTestSupport.removeNamespaces([a, b]) }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("link-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let original = Data((0..<393_216).map { _ in UInt8.random(in: 0...255) })
        let source = directory.appendingPathComponent("source.bin")
        try original.write(to: source)
        let received = directory.appendingPathComponent("received")
        try FileManager.default.createDirectory(at: received, withIntermediateDirectories: true)

        let link = try RunningLink(a, b, ["--delay", "10ms", "--loss", "3%", "--seed", "7", "--json"])
        for protocolName in ["tcp", "sr"] {
            let receiver = try LinkTestSupport.startIn(
                b, LinkTestSupport.program("rudp-recv"),
                ["--listen", "10.77.0.2:9000", "--out", received.path, "--once", "--overwrite"])
            try #require(receiver.waitFor(timeout: 10) { _, stderr in stderr.contains("listening on") },
                         "rudp-recv did not start: \(receiver.stderr)")
            let sender = try LinkTestSupport.startIn(
                a, LinkTestSupport.program("rudp-send"),
                [source.path, "10.77.0.2:9000", "--protocol", protocolName, "--name", "\(protocolName).bin", "--json"])
            let sent = sender.finish(timeout: 25)
            let got = receiver.finish(timeout: 10)
            #expect(sent.status == 0 && !sent.timedOut, "\(protocolName) sender: \(sent.stderr)")
            #expect(got.status == 0, "\(protocolName) receiver: \(got.stderr)")
            let copy = try? Data(contentsOf: received.appendingPathComponent("\(protocolName).bin"))
            #expect(copy == original, "\(protocolName): the received file differs")
        }
        let stopped = link.stop()
        let final = try #require(stopped.stdout.split(separator: "\n").last.flatMap { try? JSONValue(parsing: String($0)) })
        // The link did lose packets both ways: the transfers recovered from real loss.
        #expect((final["forward"]?["dropped_by"]?["loss"]?.intValue ?? 0) > 0)
        #expect((final["reverse"]?["dropped_by"]?["loss"]?.intValue ?? 0) > 0)
    }

    @Test("--rate 20mbit: TCP goodput across the link within 15% of 20 Mbit/s")
    func rateLimitsTCP() throws {
        let (a, b) = (LinkTestSupport.uniqueNamespace("rate-a"), LinkTestSupport.uniqueNamespace("rate-b"))
        defer { LinkTestSupport.removeNamespaces([a, b]) }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("link-rate-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let source = directory.appendingPathComponent("source.bin")
        try Data((0..<6_000_000).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 7) }).write(to: source)

        let link = try RunningLink(a, b, ["--rate", "20mbit"])
        let receiver = try LinkTestSupport.startIn(
            b, LinkTestSupport.program("rudp-recv"), ["--listen", "10.77.0.2:9000", "--out", directory.path, "--once"])
        try #require(receiver.waitFor(timeout: 10) { _, stderr in stderr.contains("listening on") })
        let sender = try LinkTestSupport.startIn(
            a, LinkTestSupport.program("rudp-send"),
            [source.path, "10.77.0.2:9000", "--protocol", "tcp", "--name", "copy.bin", "--json"])
        let sent = sender.finish(timeout: 30)
        _ = receiver.finish(timeout: 10)
        _ = link.stop()
        #expect(sent.status == 0, "\(sent.stderr)")
        let summary = try #require(try? JSONValue(parsing: sent.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
        let goodput = try #require(summary["goodput_mbps"]?.doubleValue)
        #expect(abs(goodput - 20) <= 3, "TCP goodput \(goodput) Mbit/s through a 20 Mbit/s link")
    }

    @Test("After SIGTERM the namespaces it created are gone, one it found is kept without its device")
    func teardownAfterSIGTERM() throws {
        let (a, b) = (LinkTestSupport.uniqueNamespace("term-a"), LinkTestSupport.uniqueNamespace("term-b"))
        defer { LinkTestSupport.removeNamespaces([a, b]) }
        #expect(LinkTestSupport.ip(["netns", "add", b]) == 0)
        let link = try RunningLink(a, b)
        let devices = LinkConfiguration(namespaceA: a, namespaceB: b).deviceNames
        #expect(LinkTestSupport.namespaceExists(a) && LinkTestSupport.namespaceExists(b))
        #expect(LinkTestSupport.ip(["-n", a, "link", "show", "dev", devices.a]) == 0)
        #expect(LinkTestSupport.ip(["-n", b, "link", "show", "dev", devices.b]) == 0)
        #expect(link.program.stdout.hasPrefix("link up: \(a) 10.77.0.1/24 (\(devices.a)) <-> \(b) 10.77.0.2/24"))
        #expect(link.program.stderr.contains("created namespace \(a) (deleted on exit)"))

        let stopped = link.stop(SIGTERM)
        #expect(!stopped.timedOut && stopped.status == ExitCode.failure)
        #expect(stopped.stderr.hasSuffix("lossproxy: interrupted by SIGTERM\n"), "\(stopped.stderr)")
        #expect(stopped.stdout.split(separator: "\n").count == 1, "stdout holds only the link-up line")
        #expect(!LinkTestSupport.namespaceExists(a))
        #expect(LinkTestSupport.namespaceExists(b))
        #expect(LinkTestSupport.ip(["-n", b, "link", "show", "dev", devices.b]) != 0)
    }

    @Test("A second link naming a namespace in use is refused; after SIGINT both namespaces are gone")
    func secondLinkRefusedAndTeardownAfterSIGINT() throws {
        let (a, b, c) = (LinkTestSupport.uniqueNamespace("dup-a"), LinkTestSupport.uniqueNamespace("dup-b"),
                         LinkTestSupport.uniqueNamespace("dup-c"))
        defer { LinkTestSupport.removeNamespaces([a, b, c]) }
        let link = try RunningLink(a, b)
        for (first, second) in [(a, b), (c, b)] {
            let other = try RunningProgram(LinkTestSupport.program("lossproxy"), ["link", "--ns-a", first, "--ns-b", second])
            let refused = other.finish(timeout: 10)
            #expect(refused.status == ExitCode.failure && refused.stdout.isEmpty)
            #expect(refused.stderr.contains("is already joined by a running lossproxy link"), "\(refused.stderr)")
            #expect(refused.stderr.split(separator: "\n").count == 1)
        }
        #expect(!LinkTestSupport.namespaceExists(c))
        #expect(link.program.isRunning)
        let stopped = link.stop(SIGINT)
        #expect(stopped.status == ExitCode.failure && stopped.stderr.contains("interrupted by SIGINT"))
        #expect(!LinkTestSupport.namespaceExists(a) && !LinkTestSupport.namespaceExists(b))
    }

    @Test("A link killed with SIGKILL leaves its namespaces; the next link deletes them, as provably its own")
    func leftoversOfAKilledLinkAreRemovedByTheNext() throws {
        let (a, b) = (LinkTestSupport.uniqueNamespace("kill-a"), LinkTestSupport.uniqueNamespace("kill-b"))
        let (c, d) = (LinkTestSupport.uniqueNamespace("kill-c"), LinkTestSupport.uniqueNamespace("kill-d"))
        defer { LinkTestSupport.removeNamespaces([a, b, c, d]) }
        let killed = try RunningLink(a, b)
        _ = killed.stop(SIGKILL)
        #expect(LinkTestSupport.namespaceExists(a) && LinkTestSupport.namespaceExists(b), "SIGKILL allows no teardown")
        // A namespace the user made, not a link, is never touched, whatever its name.
        #expect(LinkTestSupport.ip(["netns", "add", c]) == 0)
        let next = try RunningLink(c, d)
        #expect(!LinkTestSupport.namespaceExists(a) && !LinkTestSupport.namespaceExists(b))
        #expect(LinkTestSupport.namespaceExists(c))
        let stopped = next.stop(SIGINT)
        #expect(stopped.stderr.contains("deleted namespace '\(a)', left by a link that was killed"), "\(stopped.stderr)")
        #expect(stopped.stderr.contains("deleted namespace '\(b)'"), "\(stopped.stderr)")
        #expect(LinkTestSupport.namespaceExists(c) && !LinkTestSupport.namespaceExists(d))
    }

    @Test("A setup that fails half-way deletes the namespaces it had created")
    func failedSetupCleansUp() throws {
        let (a, b) = (LinkTestSupport.uniqueNamespace("fail-a"), LinkTestSupport.uniqueNamespace("fail-b"))
        defer { LinkTestSupport.removeNamespaces([a, b]) }
        // An interface already holding side B's device name makes the second device fail.
        let deviceB = LinkConfiguration(namespaceA: a, namespaceB: b).deviceNames.b
        try #require(LinkTestSupport.ip(["tuntap", "add", "dev", deviceB, "mode", "tun"]) == 0)
        defer { LinkTestSupport.ip(["tuntap", "del", "dev", deviceB, "mode", "tun"]) }
        let link = try RunningProgram(LinkTestSupport.program("lossproxy"), ["link", "--ns-a", a, "--ns-b", b])
        let result = link.finish(timeout: 15)
        #expect(result.status == ExitCode.failure && result.stdout.isEmpty)
        #expect(result.stderr == "lossproxy: a network interface named \(deviceB) already exists; "
            + "is another lossproxy link for these namespaces running?\n")
        #expect(!LinkTestSupport.namespaceExists(a) && !LinkTestSupport.namespaceExists(b))
    }

    @Test("Without privileges it fails at once, saying what is missing and how to run it",
          .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv"), "needs setpriv"))
    func unprivileged() throws {
        let (a, b) = (LinkTestSupport.uniqueNamespace("user-a"), LinkTestSupport.uniqueNamespace("user-b"))
        defer { LinkTestSupport.removeNamespaces([a, b]) }
        let program = try RunningProgram("/usr/bin/setpriv", [
            "--reuid", "65534", "--regid", "65534", "--clear-groups", "--inh-caps", "-all",
            LinkTestSupport.program("lossproxy"), "link", "--ns-a", a, "--ns-b", b,
        ])
        let result = program.finish(timeout: 10)
        #expect(result.status == ExitCode.failure)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(result.stderr)")
        #expect(result.stderr.hasPrefix("lossproxy: link mode needs privileges"), "\(result.stderr)")
        #expect(result.stderr.contains("root") && result.stderr.contains("unshare -rmn"))
        #expect(!LinkTestSupport.namespaceExists(a) && !LinkTestSupport.namespaceExists(b))
    }
}
