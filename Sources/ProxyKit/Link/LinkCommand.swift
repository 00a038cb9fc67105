#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CLIKit
import Impairment
import ImpairmentCLI
import SystemKit

/// The `lossproxy link` command: its command line and its run.
///
///     lossproxy link --ns-a NAME --ns-b NAME [IMPAIRMENTS] [--addr-a CIDR --addr-b CIDR]
///                    [--seed N] [--stats DUR] [--pcap FILE] [--json] [--quiet]
///
/// Output: once packets can flow, exactly one line on stdout (`link up: …`, or with `--json` a
/// JSON object with `"link":"up"`); one line on stderr describing the impairments and the seed;
/// statistics every `--stats` interval and at exit, two human lines on stderr or one JSON
/// object per report on stdout. SIGINT/SIGTERM stop it: the final statistics are printed,
/// everything it set up is torn down, and it exits 1 (`lossproxy: interrupted by SIGTERM`).
public struct LinkCommand {
    /// Everything a run needs, as parsed from the command line: the namespaces, addresses and
    /// impairments, and the output asked for.
    public typealias Invocation = ProxyInvocation<LinkConfiguration>

    /// The command line's declarations (help, every flag).
    public private(set) var spec: CommandSpec
    private let namespaceAOption: OptionKey<String>
    private let namespaceBOption: OptionKey<String>
    private let addressAOption: OptionKey<InterfaceAddress>
    private let addressBOption: OptionKey<InterfaceAddress>
    private let impairments: ImpairmentOptions
    private let rebindOption: OptionKey<UInt64?>
    private let runOutput: RunOutputOptions

    /// What the direction prefixes mean on the link (the relay's sentence speaks of clients).
    static let directionSentence = """
        Impairments apply to both directions (forward: A to B; reverse: B to A); prefix any \
        with forward- or reverse- to set one direction alone, e.g. --reverse-loss 1%, which \
        overrides --loss for that direction. --queue and --reorder-gap apply where --rate and \
        --reorder are set (--forward-rate 1mbit --queue 10).
        """

    /// The declarations of `lossproxy link`; `name` is how messages name the command.
    public init(name: String = "lossproxy link") {
        var spec = CommandSpec(
            name: name,
            summary: "Join two network namespaces through an impaired IP link (two TUN devices), TCP included.",
            discussion: """
            Creates the namespaces --ns-a and --ns-b if they do not exist (and deletes, on exit, \
            those it created), joins them with a TUN device in each, gives side A --addr-a and \
            side B --addr-b and brings the devices and loopbacks up. Every IP packet from A to B \
            (forward) and from B to A (reverse) then passes through the impairment engine, so \
            TCP and RUDP cross exactly the same emulated link. One line on stdout says when the \
            link is up; run the programs on each side with ip netns exec. Statistics per \
            direction are printed every --stats interval and at exit; SIGINT or SIGTERM stops \
            the link and removes what it set up. Namespaces a link killed outright (SIGKILL) \
            left are deleted by the next link: each created namespace is recorded with its \
            creator's pid, and only those whose creator is dead are touched.

            --corrupt flips one bit of the transport payload (after the IP and TCP/UDP/ICMP \
            headers) and leaves the checksums alone: the receiving kernel finds the checksum \
            wrong and drops the packet, as after a real link's bit error. (The UDP relay instead \
            hands the corrupted datagram to the application.) --rate counts whole IP packets.

            Needs Linux, /dev/net/tun, the ip command (iproute2), and root. Without root, where \
            user namespaces are allowed and /dev/net/tun is open to all: unshare -rmn sh -c \
            'mount -t tmpfs tmpfs /run && lossproxy link … & …', with the programs of both \
            sides started inside the same unshare.
            """,
            usage: """
            \(name) --ns-a NAME --ns-b NAME [IMPAIRMENTS] [--addr-a CIDR --addr-b CIDR]
                              [--seed N] [--stats DUR] [--pcap FILE] [--json] [--quiet] [--rebind DUR]
            """,
            examples: [
                HelpExample("\(name) --ns-a left --ns-b right --delay 10ms --loss 3%",
                            "20 ms RTT and 3% loss each way between namespaces left (10.77.0.1) and right (10.77.0.2)"),
                HelpExample("ip netns exec right rudp-recv --listen :9000",
                            "then, in a second shell, a receiver on the right"),
                HelpExample("ip netns exec left rudp-send FILE 10.77.0.2:9000 --protocol tcp",
                            "and in a third a sender on the left: TCP through the impaired link (or --protocol sr)"),
                HelpExample("\(name) --ns-a left --ns-b right --rate 20mbit --queue 100 --delay 20ms --stats 1s",
                            "a 20 Mbit/s bottleneck with a 100-packet queue, statistics every second"),
                HelpExample("\(name) --ns-a left --ns-b right --loss 5% --pcap link.pcapng",
                            "every IP packet before and after the link, each with a comment on its fate (docs/CAPTURE.md)"),
                HelpExample("\(name) --ns-a left --ns-b right --addr-a fd00::1/64 --addr-b fd00::2/64 "
                                + "--forward-loss 1% --json",
                            "an IPv6 link losing 1% from left to right only; JSON on stdout"),
            ])
        spec.section("Link")
        namespaceAOption = spec.requiredOption(
            "ns-a", placeholder: "NAME", help: "Network namespace of side A (ip netns name), created if absent",
            parse: Self.namespaceName)
        namespaceBOption = spec.requiredOption(
            "ns-b", placeholder: "NAME", help: "Network namespace of side B, created if absent",
            parse: Self.namespaceName)
        addressAOption = spec.option(
            "addr-a", placeholder: "CIDR", default: InterfaceAddress.defaultA.description,
            help: "Side A's address and prefix on the link (IPv4 or IPv6)", parse: InterfaceAddress.parse)
        addressBOption = spec.option(
            "addr-b", placeholder: "CIDR", default: InterfaceAddress.defaultB.description,
            help: "Side B's address and prefix on the link", parse: InterfaceAddress.parse)
        impairments = ImpairmentOptions(declaringOn: &spec)
        spec.discussion = spec.discussion.replacingOccurrences(
            of: ImpairmentOptions.directionSentence, with: Self.directionSentence)
        rebindOption = spec.option(
            "rebind", placeholder: "DUR", defaultHelp: "never",
            help: "Move A's UDP and TCP source ports to new ones every DUR, as a NAT rebinding does (checksums fixed)",
            parse: RunOutputOptions.positiveDuration)
        runOutput = RunOutputOptions.declare(
            on: &spec, jsonHelp: "Print the link-up line and each statistics report as one JSON object on stdout",
            ownOptions: { _ in }
        ).options
        self.spec = spec
    }

    /// Parses a whole command line (`commandLine[0]` is the command's name). Throws
    /// `ProgramExit` for help and version, `UsageError` for mistakes.
    public func parse(_ commandLine: [String]) throws -> Invocation {
        let arguments = try spec.parse(commandLine)
        let (nameA, nameB) = (arguments[namespaceAOption], arguments[namespaceBOption])
        guard nameA != nameB else {
            throw UsageError(program: spec.name, message: "--ns-a and --ns-b are both '\(nameA)'; a link needs two namespaces",
                             suggestsHelp: false)
        }
        let (addressA, addressB) = (arguments[addressAOption], arguments[addressBOption])
        guard addressA.family == addressB.family else {
            throw UsageError(program: spec.name, message: "--addr-a \(addressA) and --addr-b \(addressB) "
                + "are of different families; give both IPv4 or both IPv6", suggestsHelp: false)
        }
        guard addressA.bytes != addressB.bytes else {
            throw UsageError(program: spec.name, message: "--addr-a and --addr-b are both \(addressA.address); "
                + "each side needs its own address", suggestsHelp: false)
        }
        let (forward, reverse) = try impairments.configurations(from: arguments)
        let scheduleFile = try impairments.schedule(from: arguments, base: (forward, reverse))
        var invocation = runOutput.invocation(from: arguments) { seed, statisticsInterval in
            var configuration = LinkConfiguration(
                namespaceA: nameA, namespaceB: nameB, forward: forward, reverse: reverse, seed: seed)
            configuration.addressA = addressA
            configuration.addressB = addressB
            configuration.statisticsInterval = statisticsInterval
            configuration.rebindInterval = arguments[rebindOption]
            return configuration
        }
        invocation.scheduleFile = scheduleFile
        return invocation
    }

    /// Checks the system, sets the link up, relays until SIGINT/SIGTERM, tears down. Throws
    /// `LinkError` when the system lacks something or a setup step fails (after undoing the
    /// steps done), `InterruptedBySignal` at the end of a run stopped by a signal.
    public func run(_ invocation: Invocation) throws {
        SignalNotifier.ignoreSIGPIPE()
        let signals = try SignalNotifier.install(invocation.scheduleFile == nil ? [SIGINT, SIGTERM] : [SIGINT, SIGTERM, SIGHUP])
        let ip = try LinkRequirements.check()
        let configuration = invocation.configuration
        let program = spec.name
        let plumbing = LinkPlumbing(configuration: configuration, ip: ip)
        let tearDown = {
            for problem in plumbing.tearDown() { Console.err("\(program): teardown: \(problem)") }
        }
        do {
            try plumbing.setUp(interrupted: { signals.pendingSignal.flatMap { $0 == SIGHUP ? nil : $0 } })  // SIGHUP: reload, later
        } catch {
            tearDown()
            throw error
        }
        for leftover in plumbing.removedLeftovers {
            invocation.log("deleted namespace '\(leftover.namespace)', left by a link that was killed "
                + "(pid \(leftover.ownerPid))", program: program)
        }
        guard let deviceA = plumbing.deviceA, let deviceB = plumbing.deviceB else {
            tearDown()
            throw LinkError("the link's devices were not created")
        }
        let relay = LinkRelay(
            a: deviceA.fileDescriptor, b: deviceB.fileDescriptor,
            labelA: "namespace \(configuration.namespaceA)", labelB: "namespace \(configuration.namespaceB)",
            forward: configuration.forward, reverse: configuration.reverse, seed: configuration.seed,
            statisticsInterval: configuration.statisticsInterval)
        if let path = invocation.capturePath {
            do {
                try relay.capture(to: path, source: "lossproxy link \(configuration.namespaceA) \(configuration.addressA) "
                    + "<-> \(configuration.namespaceB) \(configuration.addressB)")
            } catch {
                tearDown()
                throw RuntimeFailure("--pcap \(path): cannot create the capture file: \(error)")
            }
        }
        relay.impairmentSchedule = invocation.followedSchedule(signals: signals, program: program)
        if let interval = configuration.rebindInterval { relay.rebind(every: interval) }

        // Addresses, routes and devices are configured: a packet sent from now on waits in its
        // device's queue until the loop below, entered right after this line, reads it.
        if invocation.json {
            Console.out(Self.upJSON(plumbing: plumbing).jsonText)
        } else {
            Console.out(Self.upLine(plumbing: plumbing))
        }
        invocation.log(Self.startLine(plumbing: plumbing, invocation: invocation), program: program)
        let emit = { (report: LinkStatistics) in
            invocation.report(
                json: report.json,
                humanLines: report.humanLines(
                    program: program, namespaceA: configuration.namespaceA, namespaceB: configuration.namespaceB))
        }
        let final: LinkStatistics
        do {
            final = try relay.run(
                stopWhenReadable: signals.readFileDescriptor, onReport: emit,
                log: { line in invocation.log(line, program: program) })
        } catch {
            emit(relay.statistics(now: MonotonicClock.now(), isFinal: true))
            tearDown()
            throw error
        }
        emit(final)
        tearDown()
        throw InterruptedBySignal(signal: signals.pendingSignal ?? SIGTERM)
    }

    /// `link up: left 10.77.0.1/24 (lpa-…) <-> right 10.77.0.2/24 (lpb-…)`.
    static func upLine(plumbing: LinkPlumbing) -> String {
        let configuration = plumbing.configuration
        let devices = configuration.deviceNames
        return "link up: \(configuration.namespaceA) \(configuration.addressA) (\(devices.a)) <-> "
            + "\(configuration.namespaceB) \(configuration.addressB) (\(devices.b))"
    }

    /// `{"link":"up","ns_a":…,"ns_b":…,"addr_a":…,"addr_b":…,"dev_a":…,"dev_b":…,"created":[…],"seed":N}`.
    static func upJSON(plumbing: LinkPlumbing) -> JSONValue {
        let configuration = plumbing.configuration
        let devices = configuration.deviceNames
        return .object([
            ("link", .string("up")),
            ("ns_a", .string(configuration.namespaceA)),
            ("ns_b", .string(configuration.namespaceB)),
            ("addr_a", .string(configuration.addressA.description)),
            ("addr_b", .string(configuration.addressB.description)),
            ("dev_a", .string(devices.a)),
            ("dev_b", .string(devices.b)),
            ("created", .array(plumbing.createdNamespaces.map { .string($0) })),
            ("seed", .integer(configuration.seed)),
        ])
    }

    /// `created namespaces a, b (deleted on exit); both directions: loss 3%, …; seed 42`.
    static func startLine(plumbing: LinkPlumbing, invocation: Invocation) -> String {
        let configuration = plumbing.configuration
        var parts: [String] = []
        let created = plumbing.createdNamespaces
        if !created.isEmpty {
            parts.append("created namespace" + (created.count > 1 ? "s " : " ")
                + created.joined(separator: ", ") + " (deleted on exit)")
        }
        let (a, b) = (configuration.namespaceA, configuration.namespaceB)
        parts.append(ImpairmentSummary.describe(
            forward: configuration.forward, reverse: configuration.reverse,
            forwardName: "forward \(a) → \(b)", reverseName: "reverse \(b) → \(a)"))
        parts.append(RunOutputOptions.seedText(configuration.seed, wasRandom: invocation.seedWasRandom))
        return parts.joined(separator: "; ")
    }

    private static func namespaceName(_ text: String) throws -> String {
        try LinkConfiguration.validateNamespaceName(text)
        return text
    }
}
