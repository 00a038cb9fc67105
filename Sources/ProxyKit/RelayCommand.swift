#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CLIKit
import Impairment
import ImpairmentCLI
import SystemKit

/// The `lossproxy` UDP relay command: its command line and its run.
///
///     lossproxy --listen ADDR --to ADDR [IMPAIRMENTS] [--seed N] [--stats DUR] [--json] [--quiet]
///
/// Output: one line on stderr at start (where it listens, where it forwards, what it does to
/// each direction, the seed); statistics every `--stats` interval and at exit, as two human
/// lines on stderr or, with `--json`, one JSON object per report on stdout. SIGINT/SIGTERM
/// stop it: the final statistics are printed, then it exits 1 as SPEC's common conventions ask
/// (`lossproxy: interrupted by SIGINT`).
public struct RelayCommand {
    /// Everything a run needs, as parsed from the command line: the relay's sockets and
    /// impairments, and the output asked for.
    public typealias Invocation = ProxyInvocation<UDPRelay.Configuration>

    /// The command line's declarations (help, every flag).
    public private(set) var spec: CommandSpec
    private let listenOption: OptionKey<String>
    private let toOption: OptionKey<String>
    private let impairments: ImpairmentOptions
    private let runOutput: RunOutputOptions
    private let clientTimeoutOption: OptionKey<UInt64>
    private let strictReplyFlag: FlagKey
    private let tcpPassthroughFlag: FlagKey
    private let tcpConnectionsOption: OptionKey<Int>
    private let rebindOption: OptionKey<UInt64?>

    /// The declarations of `lossproxy`'s relay mode.
    public init(name: String = "lossproxy") {
        var spec = CommandSpec(
            name: name, summary: "Relay UDP datagrams between clients and a server, impairing them like a bad network.",
            discussion: """
            Clients send to --listen; each client gets its own socket towards --to, so the \
            server sees every client as a distinct peer and replies go back to the right one. \
            A server that answers from another port of its host (TFTP does) is followed as a \
            NAT would: its replies come from a relay port of their own, and what the client \
            sends there goes to that server port (--strict-reply refuses such replies). \
            --tcp-passthrough also forwards TCP on the same port, unimpaired, for tools with \
            a TCP control channel (iperf3). A client silent for --client-timeout is forgotten. Statistics per direction (in, \
            out, dropped by cause, duplicated, corrupted, reordered, delayed, queue drops) are \
            printed every --stats interval and at exit; SIGINT or SIGTERM stops the proxy.
            """,
            usage: """
            \(name) --listen ADDR --to ADDR [IMPAIRMENTS] [--seed N] [--stats DUR] [--json] [--quiet]
                [--pcap FILE] [--strict-reply] [--tcp-passthrough [--tcp-connections N]] [--rebind DUR]
            \(name) link --ns-a NAME --ns-b NAME [IMPAIRMENTS] [--seed N] [--stats DUR] [--json]
            """,
            subcommands: [("link", "Impair every IP packet between two network namespaces (TUN link)")],
            examples: [
                HelpExample("\(name) --listen :9001 --to 127.0.0.1:9000 --loss 10% --delay 10ms",
                            "10% loss, 10 ms each way (20 ms RTT); then rudp-send FILE 127.0.0.1:9001"),
                HelpExample("\(name) --listen :9001 --to 127.0.0.1:9000 --forward-loss-burst 1%:25% --stats 1s",
                            "bursts of 4 lost datagrams (3.8% on average) towards the server only"),
                HelpExample("\(name) --listen :9001 --to 10.0.0.2:9000 --rate 10mbit --queue 50 --delay 20ms --json",
                            "a 10 Mbit/s bottleneck with a 50-datagram queue; JSON statistics"),
                HelpExample("\(name) --listen 127.0.0.1:0 --to 127.0.0.1:9000 --forward-drop 3,7 --seed 1",
                            "drop exactly the 3rd and 7th datagrams to the server"),
                HelpExample("\(name) --listen :5202 --to 127.0.0.1:5201 --tcp-passthrough --loss 5%",
                            "iperf3 -c 127.0.0.1 -p 5202 -u: its TCP control connection passes, its UDP is impaired"),
            ])
        listenOption = spec.requiredOption(
            "listen", short: "l", placeholder: "ADDR",
            help: "Where clients send: HOST:PORT, [IPv6]:PORT or :PORT (all interfaces); port 0 lets the kernel choose",
            parse: ValueParsers.string)
        toOption = spec.requiredOption(
            "to", short: "t", placeholder: "ADDR", help: "The server to forward to: HOST:PORT or [IPv6]:PORT",
            parse: ValueParsers.string)
        impairments = ImpairmentOptions(declaringOn: &spec)
        strictReplyFlag = spec.flag(
            "strict-reply", help: "Relay replies only from --to itself, not from other ports of the server's host")
        tcpPassthroughFlag = spec.flag(
            "tcp-passthrough", help: "Also forward TCP connections to --listen's port to --to's, unimpaired")
        tcpConnectionsOption = spec.option(
            "tcp-connections", placeholder: "N", default: "64",
            help: "TCP connections forwarded at once at most with --tcp-passthrough; more are closed at once",
            parse: ValueParsers.integer(in: 1...10_000))
        rebindOption = spec.option(
            "rebind", placeholder: "DUR", defaultHelp: "never",
            help: "Move every client to a new source port towards the server every DUR, as a NAT rebinding does (docs/IMPAIRMENTS.md)",
            parse: RunOutputOptions.positiveDuration)
        (runOutput, clientTimeoutOption) = RunOutputOptions.declare(
            on: &spec, jsonHelp: "Print each statistics report as one JSON object on stdout"
        ) { spec in
            spec.option(
                "client-timeout", placeholder: "DUR", default: "60s",
                help: "Forget a client (and close its socket to the server) after this long without traffic",
                parse: RunOutputOptions.positiveDuration)
        }
        self.spec = spec
    }

    /// Parses a whole command line (`commandLine[0]` is the program). Throws `ProgramExit` for
    /// help and version, `UsageError` for mistakes, `RuntimeFailure` if a name does not resolve.
    public func parse(_ commandLine: [String]) throws -> Invocation {
        let arguments = try spec.parse(commandLine)
        let listen = try address(arguments[listenOption], option: "--listen", forListening: true)
        let server = try address(arguments[toOption], option: "--to", forListening: false)
        if arguments.wasGiven(tcpConnectionsOption) && !arguments[tcpPassthroughFlag] {
            throw UsageError(program: spec.name, message: "--tcp-connections needs --tcp-passthrough")
        }
        if listen.port == server.port && (listen == server || (listen.isWildcard && server.isLoopback)) {
            throw UsageError(program: spec.name, message: "--to \(server) is the proxy's own --listen address",
                             suggestsHelp: false)
        }
        // The bottleneck carries IP packets: count the headers the relay does not see.
        let (forward, reverse) = try impairments.configurations(
            from: arguments, defaultRateOverhead: server.family == .ipv4 ? 28 : 48)
        let scheduleFile = try impairments.schedule(from: arguments, base: (forward, reverse))
        var invocation = runOutput.invocation(from: arguments) { seed, statisticsInterval in
            var configuration = UDPRelay.Configuration(
                listenAddress: listen, serverAddress: server, forward: forward, reverse: reverse, seed: seed)
            configuration.clientIdleTimeout = arguments[clientTimeoutOption]
            configuration.strictReply = arguments[strictReplyFlag]
            configuration.rebindInterval = arguments[rebindOption]
            if arguments[tcpPassthroughFlag] { configuration.tcpPassthroughConnections = arguments[tcpConnectionsOption] }
            configuration.statisticsInterval = statisticsInterval
            return configuration
        }
        invocation.scheduleFile = scheduleFile
        return invocation
    }

    /// Runs the relay until SIGINT/SIGTERM, printing as described above; the signal ends it by
    /// throwing `InterruptedBySignal` after the final statistics.
    public func run(_ invocation: Invocation) throws {
        SignalNotifier.ignoreSIGPIPE()
        let signals = try SignalNotifier.install(invocation.scheduleFile == nil ? [SIGINT, SIGTERM] : [SIGINT, SIGTERM, SIGHUP])
        let configuration = invocation.configuration
        let relay: UDPRelay
        do {
            relay = try UDPRelay(configuration)
        } catch {
            throw RuntimeFailure("cannot listen on \(configuration.listenAddress): \(error)")
        }
        if let path = invocation.capturePath {
            do {
                try relay.capture(to: path)
            } catch {
                throw RuntimeFailure("--pcap \(path): cannot create the capture file: \(error)")
            }
        }
        let program = spec.name
        relay.impairmentSchedule = invocation.followedSchedule(signals: signals, program: program)
        invocation.log(Self.startLine(relay: relay, invocation: invocation), program: program)
        let emit = { (report: RelayStatistics) in invocation.report(json: report.json, humanLines: report.humanLines) }
        let final = try relay.run(
            stopWhenReadable: signals.readFileDescriptor, onReport: emit,
            log: { line in invocation.log(line, program: program) })
        emit(final)
        throw InterruptedBySignal(signal: signals.pendingSignal ?? SIGTERM)
    }

    /// `listening on A, forwarding to B; both directions: loss 10%, …; seed 42 (random)`.
    static func startLine(relay: UDPRelay, invocation: Invocation) -> String {
        let configuration = invocation.configuration
        let directions = ImpairmentSummary.describe(
            forward: configuration.forward, reverse: configuration.reverse,
            forwardName: "forward (to server)", reverseName: "reverse (to clients)")
        let tcp = configuration.tcpPassthroughConnections.map { "TCP passed through unimpaired (at most \($0) connections); " } ?? ""
        let replies = configuration.strictReply ? "replies only from \(configuration.serverAddress); " : ""
        let rebind = configuration.rebindInterval.map {
            "each client moves to a new source port every \(HumanFormat.duration(nanoseconds: $0)); "
        } ?? ""
        return "listening on \(relay.localAddress), forwarding to \(configuration.serverAddress); \(directions); \(tcp)\(replies)\(rebind)"
            + RunOutputOptions.seedText(configuration.seed, wasRandom: invocation.seedWasRandom)
    }

    private func address(_ text: String, option: String, forListening: Bool) throws -> SocketAddress {
        do {
            return try SocketAddress.parse(text, forListening: forListening)
        } catch {
            if case .cannotResolve = error { throw RuntimeFailure("\(option): \(error.description)") }
            throw UsageError(program: spec.name, message: "\(option): \(error.description)")
        }
    }
}
