import CLIKit
import Foundation
import ImpairmentCLI
import RUDP

/// `rudp-lab share`: the command line, and running it from parsed options to written report.
public enum ShareCommandLine {
    public static let name = "share"
    public static let summary = "Flows of RUDP and kernel TCP sharing one bottleneck: goodput over time, fairness, queueing delay"

    /// What the command line asks for.
    public struct Options: Sendable {
        public var plan: SharePlan
        public var outDirectory: String
        public var title: String?
        public var quiet: Bool
    }

    public static func parse(_ commandLine: [String], now: Date = Date()) throws -> Options {
        var spec = CommandSpec(
            name: commandLine.first ?? "rudp-lab share", summary: summary,
            discussion: "Runs every flow of --flows at once (or --stagger apart) from one network namespace to another "
                + "through one lossproxy link with a --rate bottleneck and a --queue of packets (tail drop), for "
                + "--duration. Writes DIR/results.csv (one row per flow), DIR/summary.json, DIR/goodput.svg (each flow's "
                + "goodput over time, and the queue probe's RTT) and DIR/README.md with Jain's fairness index, the link's "
                + "utilisation, the queueing delay (RTT p50/p95 of a UDP ping across the same link, against its idle "
                + "base) and a reading of what happened. A flow is PROTOCOL[:CC[:WINDOW]]: sr:bbr, sr:reno, gbn:none:64, "
                + "tcp:cubic, tcp:reno; sr alone is rudp-send's default controller, tcp alone the kernel's default. "
                + "Needs Linux and root.",
            examples: [
                HelpExample("sudo rudp-lab share --flows sr:bbr,tcp:cubic --out /tmp/share",
                            "BBR over RUDP against TCP CUBIC, 20 Mbit/s, 30 s"),
                HelpExample("sudo rudp-lab share --flows sr:reno,sr:reno,sr:reno --stagger 10s --duration 40s",
                            "three NewReno flows joining 10 s apart: convergence to a fair share"),
                HelpExample("sudo rudp-lab share --flows sr:none,tcp:cubic --window 2048",
                            "a fixed 2048-packet window beside TCP: congestion collapse"),
            ])
        spec.section("Flows")
        let flows = spec.option("flows", short: "f", placeholder: "LIST", default: "sr:bbr,tcp:cubic",
                                help: "Comma-separated flows, PROTOCOL[:CC[:WINDOW]] (sw, gbn, sr with none, reno, cubic, "
                                    + "bbr; tcp with a kernel congestion control)",
                                parse: ShareFlow.parseList)
        let window = spec.option("window", short: "w", placeholder: "N", defaultHelp: "rudp-send's",
                                 help: "Window cap in packets of every RUDP flow that names none",
                                 parse: ValueParsers.integer(in: 1...SenderConfiguration.maxWindow))
        let duration = spec.option("duration", short: "t", placeholder: "DUR", default: "30s",
                                   help: "From the first flow's start to the end of all", parse: parseDuration(minimum: 1_000_000_000))
        let stagger = spec.option("stagger", placeholder: "DUR", default: "0s",
                                  help: "Start flow i i × DUR after the first (0: all together)", parse: parseDuration(minimum: 0))
        spec.section("The link")
        let rate = spec.option(ImpairmentFlag.rate.name, placeholder: "RATE", default: "20mbit",
                               help: "Bottleneck rate each way (IP packets count whole)",
                               parse: { try ImpairmentFlag.rate.parse($0).bitsPerSecond })
        let delay = spec.option(ImpairmentFlag.delay.name, placeholder: "DUR", default: "10ms",
                                help: "One-way delay each way (10ms makes a 20 ms base RTT)",
                                parse: { try ImpairmentFlag.delay.parse($0).nanoseconds })
        let queue = spec.option(ImpairmentFlag.queue.name, placeholder: "PACKETS", defaultHelp: "≈ 1 BDP in 1500-byte packets",
                                help: "Bottleneck queue in packets (tail drop)", parse: ImpairmentFlag.queue.parse)
        let seed = spec.option("seed", placeholder: "N", default: "1", help: "The link's seed", parse: ValueParsers.unsignedInteger)
        spec.section("Output")
        let out = spec.option("out", short: "o", placeholder: "DIR", defaultHelp: "results/share-DATE",
                              help: "Directory for the results (created; files in it are replaced)", parse: ValueParsers.string)
        let title = spec.option("title", placeholder: "TEXT", defaultHelp: "from the flows",
                                help: "Title of the README and the results index", parse: ValueParsers.string)
        let quiet = spec.flag("quiet", short: "q", help: "Print nothing but errors")

        let arguments = try spec.parse(commandLine)
        var plan = SharePlan(flows: arguments[flows], rate: arguments[rate], delay: arguments[delay], queue: arguments[queue],
                             duration: arguments[duration])
        plan.stagger = arguments[stagger]
        plan.window = arguments[window]
        plan.seed = arguments[seed]
        if let problem = plan.problem { throw UsageError(program: spec.name, message: problem, suggestsHelp: false) }
        // About 60 goodput points across the run, each of whole sample intervals.
        plan.sampleInterval = min(500_000_000, max(100_000_000, plan.duration / 120 / 100_000_000 * 100_000_000))
        let stamp = RunEnvironment.isoDate(now).replacingOccurrences(of: ":", with: "").replacingOccurrences(of: "-", with: "")
        return Options(plan: plan, outDirectory: arguments[out] ?? "results/share-\(stamp)", title: arguments[title],
                       quiet: arguments[quiet])
    }

    /// The default title: the flows and the link.
    public static func defaultTitle(_ plan: SharePlan) -> String {
        "Sharing a \(ReportNumbers.mbps(plan.rate)) Mbit/s bottleneck: " + plan.flows.map(\.description).joined(separator: " + ")
    }

    public static func run(_ commandLine: [String]) throws {
        let options = try parse(commandLine)
        let programs = ProgramDirectory.besideExecutable()
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("rudp-lab-share-\(getpid())").path
        let link = ShareLink(programs: programs, workDirectory: work)
        if let reason = link.unavailableReason() { throw SweepError("rudp-lab share cannot run here: \(reason)") }
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        let notifier = try? SignalNotifier.install()
        let progress = ProgressLine(enabled: !options.quiet)
        let results = try link.run(options.plan, progress: { progress.update($0, now: DispatchTime.now().uptimeNanoseconds) },
                                   shouldStop: { notifier?.pendingSignal != nil })
        progress.finish()
        if let signal = notifier?.pendingSignal { throw InterruptedBySignal(signal: signal) }
        let description = SweepDescription(title: options.title ?? defaultTitle(options.plan),
                                           command: SweepCommandLine.commandText(commandLine),
                                           environment: .current(date: results.started))
        try ShareReport.write(results, description: description, to: options.outDirectory)
        if !options.quiet {
            let jain = results.jainIndex.map { ReportNumbers.fixed($0, decimals: 3) } ?? "–"
            let utilisation = results.utilisation.map { ShareReading.percent($0) } ?? "–"
            Console.out("wrote \(options.outDirectory)/README.md: Jain's index \(jain), utilisation \(utilisation)"
                + (results.starved.isEmpty ? "" : ", starved: " + results.starved.map { results.name($0) }.joined(separator: ", ")))
        }
    }

    static func parseDuration(minimum: UInt64) -> (String) throws -> UInt64 {
        { text in
            let value = try DurationValue.parse(text).nanoseconds
            guard value >= minimum else { throw ValueError("'\(text)' is shorter than \(DurationValue(nanoseconds: minimum))") }
            guard value <= 3_600_000_000_000 else { throw ValueError("'\(text)' is longer than 1h") }
            return value
        }
    }
}
