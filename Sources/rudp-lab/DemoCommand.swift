#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CLIKit
import ImpairmentCLI
import LabKit
import RUDP
import RUDPNet
import SystemKit

/// `rudp-lab demo`: a receiver, a lossy proxy and a sender of a generated file, as real
/// processes on loopback; shows the transfer and the proxy's drops live, then both summaries,
/// and checks that the file arrived intact. Exit 0 only if it did.
enum DemoCommand: LabCommand {
    static let name = "demo"
    static let summary = "Send a generated file through a lossy proxy on loopback and watch it recover"

    /// The default file size, and the smaller one for stop-and-wait (one packet per round trip).
    static let defaultSize: UInt64 = 5_000_000
    static let defaultStopAndWaitSize: UInt64 = 500_000

    static func run(_ commandLine: [String]) throws {
        var spec = CommandSpec(
            name: commandLine.first ?? "rudp-lab demo", summary: summary + ".",
            discussion: """
            Starts rudp-recv, lossproxy (loss, reordering and delay in both directions) and \
            rudp-send as separate processes on 127.0.0.1, with ports chosen by the kernel; \
            needs no privilege and no setup. The programs are the ones built beside rudp-lab. \
            Temporary files are removed at the end, and on Ctrl-C.
            """,
            usage: "rudp-lab demo [--protocol P] [--loss P] [--delay DUR] [--size SIZE]",
            examples: [
                HelpExample("rudp-lab demo"),
                HelpExample("rudp-lab demo --protocol gbn --loss 20% --delay 25ms", "Go-Back-N under heavier loss"),
                HelpExample("rudp-lab demo --protocol sw --size 200KB", "stop-and-wait: one packet per round trip"),
            ])
        let protocolOption = spec.option(
            "protocol", short: "p", placeholder: "P", default: "sr",
            help: "sw (stop-and-wait), gbn (Go-Back-N) or sr (Selective Repeat)",
            parse: ValueParsers.choice(["sw", "gbn", "sr"]))
        let lossOption = spec.option(ImpairmentFlag.loss, default: "10%", help: "Datagrams lost in each direction")
        let reorderOption = spec.option(ImpairmentFlag.reorder, default: "5%", help: "Datagrams reordered in each direction")
        let demoDelay = ImpairmentFlag.delay.checked { text, delay in
            guard delay.nanoseconds <= 10_000_000_000 else { throw ValueError("'\(text)' is above the demo's limit of 10s") }
        }
        let delayOption = spec.option(demoDelay, default: "10ms", help: "One-way delay in each direction (the RTT is twice this)")
        let sizeOption = spec.option(
            "size", placeholder: "SIZE", defaultHelp: "5MB, or 500KB with sw", help: "Size of the generated file",
            parse: { text in
                let size = try SizeValue.parse(text)
                guard size.bytes > 0 else { throw ValueError("'\(text)' is empty; the file needs at least 1 byte") }
                return size
            })
        let seedOption = spec.option(
            "seed", placeholder: "N", defaultHelp: "random", help: "Seed of the proxy's decisions",
            parse: ValueParsers.unsignedInteger)
        let arguments = try spec.parse(commandLine)

        let protocolName = arguments[protocolOption]
        let settings = DemoSettings(
            protocolName: protocolName, loss: arguments[lossOption], reorder: arguments[reorderOption],
            delay: arguments[delayOption],
            size: arguments[sizeOption]?.bytes ?? (protocolName == "sw" ? defaultStopAndWaitSize : defaultSize),
            seed: arguments[seedOption] ?? UInt64(SystemRandom.uint32()))
        try DemoRun(settings: settings).run()
    }
}

/// What one demo run does.
struct DemoSettings {
    var protocolName: String
    var loss: PercentValue
    var reorder: PercentValue
    var delay: DurationValue
    var size: UInt64
    var seed: UInt64

    var protocolTitle: String {
        switch protocolName {
        case "sw": "stop-and-wait"
        case "gbn": "Go-Back-N"
        default: "Selective Repeat"
        }
    }
}

/// One demo: owns the child processes and the temporary directory, and cleans both up
/// whatever happens.
final class DemoRun {
    let settings: DemoSettings
    private let scratch: TemporaryDirectory
    private var children: [ChildProcess] = []
    private let signals: SignalNotifier
    private let stderrIsTerminal = Console.stderrIsTerminal

    /// The temporary directories' name prefix: `<tmp>/rudp-lab-demo.XXXXXX`.
    static let scratchPrefix = "rudp-lab-demo"

    init(settings: DemoSettings) throws {
        self.settings = settings
        SignalNotifier.ignoreSIGPIPE()
        // SIGHUP too: a closed terminal must not leave the children and the directory behind.
        signals = try SignalNotifier.install([SIGINT, SIGTERM, SIGHUP])
        // What a demo killed outright (SIGKILL) left: its children died with it (diesWithParent).
        for path in TemporaryDirectory.removeAbandoned(prefix: Self.scratchPrefix) {
            Console.err("rudp-lab demo: removed \(path), left by a demo that was killed")
        }
        scratch = try TemporaryDirectory(prefix: Self.scratchPrefix)
    }

    deinit { cleanUp() }

    func run() throws {
        defer { cleanUp() }
        let programs = ProgramDirectory.besideExecutable()
        let receiverPath = try programs.executable("rudp-recv")
        let proxyPath = try programs.executable("lossproxy")
        let senderPath = try programs.executable("rudp-send")

        let incoming = scratch.file("received")
        guard mkdir(incoming, 0o700) == 0 else {
            throw RuntimeFailure("cannot create \(incoming): \(String(cString: strerror(errno)))")
        }
        let fileName = "demo.bin"
        let source = scratch.file(fileName)
        let sourceDigest = try RandomFile.write(path: source, size: settings.size)
        let delay = HumanFormat.duration(nanoseconds: settings.delay.nanoseconds)
        Console.err("rudp-lab demo: \(settings.protocolTitle) sends a \(HumanFormat.bytes(settings.size)) random file "
            + "through lossproxy (\(settings.loss) loss, \(settings.reorder) reordering, \(delay) delay, each way) on loopback")

        let receiverArguments = ["--listen", "127.0.0.1:0", "--once", "--json", "--out", incoming]
        let receiver = try start(receiverPath, receiverArguments)
        let receiverAddress = try listeningAddress(of: receiver)

        let proxyArguments = [
            "--listen", "127.0.0.1:0", "--to", receiverAddress, "--loss", settings.loss.description,
            "--reorder", settings.reorder.description, "--delay", Self.durationArgument(settings.delay.nanoseconds),
            "--seed", "\(settings.seed)", "--stats", "1s", "--json",
        ]
        let proxy = try start(proxyPath, proxyArguments)
        let proxyAddress = try listeningAddress(of: proxy)

        let senderArguments = [source, proxyAddress, "--protocol", settings.protocolName, "--json"]
        Console.err("  receiver: rudp-recv " + receiverArguments.joined(separator: " "))
        Console.err("  proxy:    lossproxy " + proxyArguments.joined(separator: " "))
        Console.err("  sender:   rudp-send " + senderArguments.joined(separator: " "))
        // The sender's stderr is ours: its progress line shows when we are on a terminal.
        let sender = try start(senderPath, senderArguments, stderr: .inherited)

        try watch(sender: sender, proxy: proxy, receiver: receiver)
        let senderStatus = sender.waitForExit(timeout: 5) ?? 128 + SIGKILL  // killed at the time limit
        // With --once the receiver ends with the transfer; after a failed send it would wait
        // for its idle timeout, so it is stopped instead.
        if senderStatus != 0 { receiver.terminate() }
        let receiverStatus = receiver.waitForExit(timeout: 15) ?? 128 + SIGKILL
        proxy.terminate(SIGINT)
        proxy.waitForExit(timeout: 5)
        if let signal = signals.pendingSignal { throw InterruptedBySignal(signal: signal) }

        let report = DemoReport(settings: settings, sender: sender, receiver: receiver, proxy: proxy)
        for line in report.summaryLines() { Console.out(line) }
        let receivedPath = incoming + "/" + fileName
        guard senderStatus == 0, receiverStatus == 0, let receivedDigest = try? RandomFile.digest(path: receivedPath) else {
            var reasons: [String] = []
            if senderStatus != 0 { reasons.append("rudp-send exited with \(senderStatus)") }
            if receiverStatus != 0 {
                reasons.append("rudp-recv exited with \(receiverStatus)"
                    + (receiver.stderrLines.last.map { ": \($0)" } ?? ""))
            }
            throw RuntimeFailure("the file did not arrive" + (reasons.isEmpty ? "" : " (" + reasons.joined(separator: "; ") + ")"))
        }
        guard receivedDigest == sourceDigest else {
            throw RuntimeFailure("the received file differs from the source: SHA-256 \(receivedDigest.hex) instead of \(sourceDigest.hex)")
        }
        Console.out("The file arrived intact: SHA-256 \(sourceDigest.hex) for the source and the received copy.")
    }

    private func start(_ path: String, _ arguments: [String], stderr: ChildProcess.Output = .captured) throws -> ChildProcess {
        let child: ChildProcess
        do {
            // Started from the main thread, which lives as long as the demo: they die with it.
            child = try ChildProcess(path: path, arguments: arguments, stderr: stderr, diesWithParent: true)
        } catch {
            throw RuntimeFailure("cannot start \(path): \(SystemError.message(for: error.errno))")
        }
        children.append(child)
        return child
    }

    /// Reads `child`'s stderr until it says `listening on ADDR`, and returns ADDR.
    private func listeningAddress(of child: ChildProcess) throws -> String {
        let deadline = MonotonicClock.now() + 15_000_000_000
        var seen = 0
        while true {
            child.readAvailable()
            for line in child.stderrLines[seen...] {
                if let address = Self.address(inListeningLine: line) { return address }
            }
            seen = child.stderrLines.count
            if let signal = signals.pendingSignal { throw InterruptedBySignal(signal: signal) }
            guard child.isRunning else {
                child.readAvailable()
                let why = child.stderrLines.last.map { ": \($0)" } ?? ""
                throw RuntimeFailure("\(child.name) stopped before it was listening (status \(child.exitStatus ?? -1))\(why)")
            }
            guard MonotonicClock.now() < deadline else {
                throw RuntimeFailure("\(child.name) did not report its address within 15 s")
            }
            child.waitForOutput(milliseconds: 20)
        }
    }

    /// A duration as a command-line argument in its largest exact unit: `10ms`, `250us`, `7ns`.
    static func durationArgument(_ nanoseconds: UInt64) -> String {
        if nanoseconds % 1_000_000 == 0 { return "\(nanoseconds / 1_000_000)ms" }
        if nanoseconds % 1_000 == 0 { return "\(nanoseconds / 1_000)us" }
        return "\(nanoseconds)ns"
    }

    /// `127.0.0.1:40123` from `… listening on 127.0.0.1:40123, forwarding …`.
    static func address(inListeningLine line: String) -> String? {
        guard let range = line.range(of: "listening on ") else { return nil }
        let address = line[range.upperBound...].prefix { $0 != "," && $0 != " " }
        return address.isEmpty ? nil : String(address)
    }

    /// Polls every pipe until the sender exits, printing the proxy's statistics as they come.
    private func watch(sender: ChildProcess, proxy: ChildProcess, receiver: ChildProcess) throws {
        while sender.isRunning {
            var entries = [signals.readFileDescriptor, sender.stdoutDescriptor, proxy.stdoutDescriptor,
                           proxy.stderrDescriptor, receiver.stdoutDescriptor, receiver.stderrDescriptor]
                .filter { $0 >= 0 }.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            _ = poll(&entries, nfds_t(entries.count), 100)
            if let signal = signals.pendingSignal { throw InterruptedBySignal(signal: signal) }
            sender.readAvailable()
            receiver.readAvailable()
            for line in proxy.readAvailable().stdout {
                guard let report = try? JSONValue(parsing: line) else { continue }
                liveLine(DemoReport.proxyLine(report))
            }
            if !proxy.isRunning {
                throw RuntimeFailure("lossproxy stopped during the transfer" + (proxy.stderrLines.last.map { ": \($0)" } ?? ""))
            }
        }
    }

    /// A line on stderr that does not collide with the sender's progress line on a terminal.
    private func liveLine(_ text: String) {
        Console.err((stderrIsTerminal ? "\r\u{1B}[K" : "") + text)
    }

    private func cleanUp() {
        for child in children.reversed() where child.isRunning {
            child.terminate()
        }
        for child in children.reversed() {
            child.waitForExit(timeout: 2)
        }
        children.removeAll()
        scratch.remove()
    }
}
