import CLIKit
import ImpairmentCLI
import Foundation

/// `rudp-lab why-udp`: the command line, and running it from parsed options to written report.
public enum WhyUDPCommandLine {
    public static let name = "why-udp"
    public static let summary = "Message latency under loss over UDP, TCP and RUDP (ordered, unordered); time to first response"

    /// What the command line asks for.
    public struct Options: Sendable {
        public var plan: WhyUDPPlan
        public var outDirectory: String
        public var title: String?
        public var quiet: Bool
    }

    /// Parses `commandLine` (which starts with "rudp-lab why-udp"); throws UsageError or ProgramExit.
    public static func parse(_ commandLine: [String], now: Date = Date()) throws -> Options {
        var spec = CommandSpec(
            name: commandLine.first ?? "rudp-lab why-udp", summary: summary,
            discussion: """
            An application writes small timestamped messages at a steady rate (a game, a telemetry feed) \
            across a lossy, delayed link; they travel over raw UDP (losses counted, never resent), TCP, and \
            RUDP Selective Repeat delivering in order or each message as it arrives. The latency of every \
            message, from being written to reaching the receiving application, shows what reliability and \
            ordering cost: head-of-line blocking. Then one request/response per trial, --requests times, \
            measures the time to the first response (TCP's handshake included). Writes DIR/results.csv (one \
            row per message), DIR/responses.csv, DIR/summary.json, DIR/latency-cdf.svg and DIR/README.md with \
            a table of p50/p90/p95/p99/max/lost and a reading. --loss and --delay apply to each direction.

            --network sim runs in-process on a virtual clock (deterministic, seconds); TCP is not modelled \
            there and is reported as not measured. --network link runs real processes in two network \
            namespaces joined by lossproxy link (Linux, root), where TCP crosses the same impaired link.
            """,
            usage: "rudp-lab why-udp [--loss P] [--delay DUR] [--network sim|link] [--out DIR] [options]",
            examples: [
                HelpExample("rudp-lab why-udp --out results/why-udp-sim", "2% loss, 20 ms each way, in the simulator"),
                HelpExample("sudo rudp-lab why-udp --network link --out results/why-udp", "real UDP, TCP and RUDP over the TUN link"),
                HelpExample("rudp-lab why-udp --loss 0.5% --delay 50ms", "rarer losses on a longer path"),
            ])
        spec.section("Link")
        let loss = spec.option(ImpairmentFlag.loss, default: "2%", help: "Loss per direction, e.g. 2 or 2%")
        let linkDelay = ImpairmentFlag.delay.checked { text, value in
            guard value.nanoseconds <= 10_000_000_000 else { throw ValueError("'\(text)' is above 10s") }
        }
        let delay = spec.option(linkDelay, default: "20ms", help: "One-way delay per direction (the RTT is twice this)")
        let network = spec.option("network", short: "n", placeholder: "sim|link", default: "sim",
                                  help: "sim: in-process simulation (no TCP); link: processes in namespaces through "
                                      + "lossproxy link (root)",
                                  parse: { try WhyUDPNetwork(rawValue: ValueParsers.choice(WhyUDPNetwork.allCases.map(\.rawValue))($0))! })
        let seed = spec.option("seed", placeholder: "N", default: "1", help: "Seed of the link's loss decisions",
                               parse: ValueParsers.unsignedInteger)
        spec.section("Messages")
        let size = spec.option("size", short: "s", placeholder: "BYTES", default: "100",
                               help: "Bytes per message (16 to 1200)", parse: ValueParsers.integer(in: 16...1_200))
        let rate = spec.option("rate", placeholder: "N", default: "50", help: "Messages written per second",
                               parse: ValueParsers.integer(in: 1...10_000))
        let duration = spec.option("duration", placeholder: "DUR", default: "20s", help: "How long messages are written",
                                   parse: { text in
                                       let value = try DurationValue.parse(text)
                                       guard value.nanoseconds >= 100_000_000, value.nanoseconds <= 3_600_000_000_000 else {
                                           throw ValueError("'\(text)' is out of range (100ms to 1h)")
                                       }
                                       return value
                                   })
        let responseSize = spec.option("response-size", placeholder: "BYTES", defaultHelp: "--size",
                                       help: "Bytes per response (16 to 1200): above three times the request's SYN, RUDP "
                                           + "0-RTT must wait a round trip on first contact or present a token",
                                       parse: ValueParsers.integer(in: 16...1_200))
        let requests = spec.option("requests", placeholder: "N", default: "50",
                                   help: "Request/response trials per transport", parse: ValueParsers.integer(in: 1...10_000))
        let window = spec.option("window", short: "w", placeholder: "N", default: "64", help: "RUDP window in packets",
                                 parse: ValueParsers.integer(in: 1...4_096))
        spec.section("Output")
        let out = spec.option("out", short: "o", placeholder: "DIR", defaultHelp: "results/why-udp-NETWORK-DATE",
                              help: "Directory for the results (created; files in it are replaced)",
                              parse: ValueParsers.string)
        let title = spec.option("title", placeholder: "TEXT", defaultHelp: "Why UDP: message latency under loss (NETWORK)",
                                help: "Title of the README and the results index", parse: ValueParsers.string)
        let quiet = spec.flag("quiet", short: "q", help: "Print nothing but errors")

        let arguments = try spec.parse(commandLine)
        var plan = WhyUDPPlan()
        plan.loss = arguments[loss].fraction
        plan.delay = arguments[delay].nanoseconds
        plan.network = arguments[network]
        plan.seed = arguments[seed]
        plan.messageSize = arguments[size]
        plan.messagesPerSecond = arguments[rate]
        plan.duration = arguments[duration].nanoseconds
        plan.requests = arguments[requests]
        plan.responseSize = arguments[responseSize]
        plan.window = arguments[window]
        guard plan.messageCount <= 1_000_000 else {
            throw UsageError(program: spec.name, message: "--rate × --duration is \(plan.messageCount) messages; "
                + "at most 1000000 per transport", suggestsHelp: false)
        }
        let stamp = RunEnvironment.isoDate(now).replacingOccurrences(of: ":", with: "").replacingOccurrences(of: "-", with: "")
        return Options(plan: plan, outDirectory: arguments[out] ?? "results/why-udp-\(plan.network.rawValue)-\(stamp)",
                       title: arguments[title], quiet: arguments[quiet])
    }

    /// The README's title.
    public static func defaultTitle(_ plan: WhyUDPPlan) -> String {
        "Why UDP: message latency under loss (\(plan.network.rawValue))"
    }

    /// Parses, measures, writes the report and prints where it is and the headline numbers.
    public static func run(_ commandLine: [String]) throws {
        let options = try parse(commandLine)
        let plan = options.plan
        let progress = ProgressLine(enabled: !options.quiet)
        let report = { (line: String) in progress.update(line, now: DispatchTime.now().uptimeNanoseconds) }
        let results: WhyUDPResults
        switch plan.network {
        case .sim:
            results = WhyUDPSimulation.run(plan, progress: report)
        case .link:
            let runner = WhyUDPLinkRunner(programs: ProgramDirectory.besideExecutable())
            if let reason = runner.unavailableReason {
                let fix = reason.contains("root") ? "run it as root on Linux (sudo), or use" : "or use"
                throw SweepError("--network link is not possible here: \(reason). Nothing was measured; \(fix) "
                    + "--network sim, which measures everything but TCP without privileges")
            }
            let notifier = try? SignalNotifier.install()
            results = try runner.run(plan, shouldStop: { notifier?.pendingSignal != nil }, progress: report)
            if let signal = notifier?.pendingSignal { throw InterruptedBySignal(signal: signal) }
        }
        progress.finish()
        let description = SweepDescription(title: options.title ?? defaultTitle(plan),
                                           command: SweepCommandLine.commandText(commandLine),
                                           environment: .current(date: results.started))
        try WhyUDPReport.write(results, description: description, to: options.outDirectory)
        guard !options.quiet else { return }
        Console.out("wrote \(options.outDirectory)/README.md")
        for stream in results.streams {
            guard stream.notMeasured == nil else {
                Console.out("  \(stream.transport.title): not measured")
                continue
            }
            Console.out("  \(stream.transport.title): p50 \(WhyUDPReading.ms(stream.percentile(0.5))), "
                + "p99 \(WhyUDPReading.ms(stream.percentile(0.99))), max \(WhyUDPReading.ms(stream.maximumLatency)), "
                + "lost \(stream.lost)/\(stream.messages)")
        }
    }
}
