import CLIKit
import Impairment
import ImpairmentCLI
import Foundation
import RUDP
import SystemKit

/// `rudp-lab sweep`: the command line, and running it from parsed options to written report.
public enum SweepCommandLine {
    public static let name = "sweep"
    public static let summary = "Measure goodput over protocols × loss × delay × rate × window; write CSV, JSON, plots, README"

    /// What the command line asks for.
    public struct Options: Sendable {
        public var plan: SweepPlan
        public var outDirectory: String
        public var title: String?
        public var quiet: Bool
    }

    /// Parses `commandLine` (which starts with "rudp-lab sweep"); throws UsageError or ProgramExit.
    public static func parse(_ commandLine: [String], now: Date = Date()) throws -> Options {
        var spec = CommandSpec(
            name: commandLine.first ?? "rudp-lab sweep", summary: summary,
            discussion: "Runs every combination of the listed protocols, losses, delays, rates and windows, "
                + "--repeats times each, and writes DIR/results.csv (one row per run), DIR/summary.json, SVG plots "
                + "of goodput with the textbook model of each protocol dashed beside it, and DIR/README.md with the "
                + "command, the environment, a table and a reading of the results. Lists are comma-separated; "
                + "--window also takes A..B for every power of two from A to B. --delay is one-way, per direction "
                + "(10ms makes a 20 ms RTT); loss and rate also apply to each direction. Failed runs are kept "
                + "(ok=false); protocols a network cannot measure (TCP on sim and proxy) are reported as not measured. "
                + "--cc makes the congestion control a dimension of the grid: none, reno, cubic or bbr applies to every "
                + "RUDP protocol of --protocols, sw:NAME, gbn:NAME or sr:NAME to that one alone, tcp:NAME runs kernel TCP "
                + "with that congestion control (rudp-send --tcp-cc NAME; --network link only), and each becomes its own "
                + "series (sr, sr bbr, tcp cubic) with that controller's model. Without --cc every RUDP protocol, sr "
                + "included, runs the fixed window (--cc none, the textbook sender the Kurose-Ross models describe), "
                + "whatever rudp-send's own default, and TCP runs the system's default; the sweep always passes --cc "
                + "to rudp-send. A controlled sender's window is a cap, by default rudp-send's "
                + "\(SenderConfiguration.maxWindow); --window given explicitly caps it too. --network external --to HOST:PORT "
                + "runs against a rudp-recv started by hand on another machine (it serves TCP too): the real path, with "
                + "no loss, delay or rate added unless given, in which case a local lossproxy relay adds them (RUDP only).",
            examples: [
                HelpExample("rudp-lab sweep --protocols sw,gbn,sr --loss 0,1,2,5,10,20 --out results/loss-sweep",
                            "a loss sweep in the simulator"),
                HelpExample("rudp-lab sweep --protocols gbn,sr --loss 2 --window 1..256 --out results/window-sweep",
                            "window 1, 2, 4, … 256 at 2% loss"),
                HelpExample("rudp-lab sweep --network proxy --protocols sr --loss 0,5 --size 2MB --repeats 1",
                            "real processes through lossproxy on loopback"),
                HelpExample("sudo rudp-lab sweep --network link --protocols sr,tcp --loss 0,1,5",
                            "RUDP against TCP over the same impaired TUN link"),
                HelpExample("rudp-lab sweep --protocols sr --cc none,bbr --loss 0,1,2,5",
                            "the textbook fixed window beside BBR, in the simulator"),
                HelpExample("sudo rudp-lab sweep --network link --protocols sr,tcp --cc bbr,cubic,tcp:cubic,tcp:bbr",
                            "sr bbr, sr cubic, tcp cubic and tcp bbr over the same link"),
                HelpExample("rudp-lab sweep --network external --to 192.168.1.20:9000 --protocols gbn,sr,tcp --size 20MB",
                            "between two lab PCs: first 'rudp-recv --listen :9000 --out /tmp/in' on 192.168.1.20"),
            ])
        spec.section("Grid")
        let protocols = spec.option("protocols", short: "p", placeholder: "LIST", default: "sw,gbn,sr,tcp",
                                    help: "Protocols to measure: sw, gbn, sr, tcp", parse: parseProtocols)
        let losses = spec.listOption(ImpairmentFlag.loss, placeholder: "LIST", default: "0,1,2,5,10",
                                     help: "Loss percentages per direction, e.g. 0,1,2,5,10")
        let delays = spec.listOption(ImpairmentFlag.delay, placeholder: "DUR[,DUR…]", default: "10ms",
                                     help: "One-way delay per direction, e.g. 10ms or 1ms,10ms,100ms")
        let rates = spec.listOption(rateOrUnlimited, placeholder: "RATE[,RATE…]", default: "50mbit",
                                    help: "Bottleneck rate per direction (0 or unlimited: none), e.g. 50mbit")
        let windows = spec.option("window", short: "w", placeholder: "N[,N…]|A..B", default: "64",
                                  help: "Window in packets for gbn and sr (sw is always 1), e.g. 64 or 1..256; given, "
                                      + "it also caps the --cc controllers (otherwise \(SenderConfiguration.maxWindow))",
                                  parse: parseWindows)
        let controls = spec.option("cc", placeholder: "LIST",
                                   defaultHelp: "none for sw, gbn and sr (the fixed window); the system's default for tcp",
                                   help: "Congestion controls: none, reno, cubic, bbr (every RUDP protocol), sr:bbr (one "
                                       + "protocol), tcp:cubic (a kernel TCP variant, --network link), mixed freely",
                                   parse: ControlList.parse)
        let queue = spec.option("queue", placeholder: "PACKETS", defaultHelp: "the impairment engine's \(ImpairmentConfig.defaultQueueLimit)",
                                help: "Bottleneck queue per direction in packets (tail drop), where a rate is set",
                                parse: ValueParsers.integer(in: 1...1_000_000))
        let size = spec.option("size", short: "s", placeholder: "SIZE", default: "1MB", help: "File size per transfer",
                               parse: parseSize)
        let repeats = spec.option("repeats", short: "r", placeholder: "N", default: "3",
                                  help: "Runs per condition, each with its own seed", parse: ValueParsers.integer(in: 1...1000))
        spec.section("Where and how")
        let network = spec.option("network", short: "n", placeholder: "sim|proxy|link|external", default: "sim",
                                  help: "sim: in-process simulation; proxy: processes through lossproxy's UDP relay; "
                                      + "link: processes in namespaces through lossproxy link (root); external: against "
                                      + "a rudp-recv on another machine (--to)",
                                  parse: { try NetworkKind(rawValue: ValueParsers.choice(NetworkKind.allCases.map(\.rawValue))($0))! })
        let target = spec.option("to", placeholder: "HOST:PORT",
                                 help: "The rudp-recv of --network external, started by hand on the other machine",
                                 parse: ValueParsers.string)
        let mss = spec.option("mss", placeholder: "BYTES", default: "1200", help: "RUDP payload bytes per packet",
                              parse: ValueParsers.integer(in: 1...WireLayout.maxPayload))
        let rto = spec.option("rto", placeholder: "auto|DUR", default: "auto",
                              help: "Retransmission timeout: RFC 6298 adaptive, or fixed (e.g. 100ms)", parse: parseRTO)
        let maxRetries = spec.option("max-retries", placeholder: "N", default: "10",
                                     help: "Consecutive timeouts of one packet before a run fails",
                                     parse: ValueParsers.integer(in: 1...1000))
        let seed = spec.option("seed", placeholder: "N", default: "1",
                               help: "Seed from which every run's seed is derived", parse: ValueParsers.unsignedInteger)
        spec.section("Output")
        let out = spec.option("out", short: "o", placeholder: "DIR", defaultHelp: "results/sweep-NETWORK-DATE",
                              help: "Directory for the results (created; files in it are replaced)",
                              parse: ValueParsers.string)
        let title = spec.option("title", placeholder: "TEXT", defaultHelp: "from what varies",
                                help: "Title of the README and the results index", parse: ValueParsers.string)
        let quiet = spec.flag("quiet", short: "q", help: "Print nothing but errors")

        let arguments = try spec.parse(commandLine)
        let program = commandLine.first ?? "rudp-lab sweep"
        let networkKind = arguments[network]
        if networkKind == .external, arguments[target] == nil {
            throw UsageError(program: program, message: "--network external needs --to HOST:PORT, the rudp-recv on the other machine")
        }
        if networkKind != .external, arguments.wasGiven(target) {
            throw UsageError(program: program, message: "--to is for --network external (the other networks start their own receiver)")
        }
        // Against another machine the path itself is the condition: nothing is added unless asked.
        let external = networkKind == .external
        var plan = SweepPlan(
            protocols: arguments[protocols],
            losses: external && !arguments.wasGiven(losses) ? [0] : arguments[losses].map(\.fraction),
            delays: external && !arguments.wasGiven(delays) ? [0] : arguments[delays].map(\.nanoseconds),
            rates: external && !arguments.wasGiven(rates) ? [0] : arguments[rates],
            windows: arguments[windows], size: arguments[size], repeats: arguments[repeats], network: arguments[network])
        plan.mss = arguments[mss]
        plan.retransmission = arguments[rto]
        plan.maxRetries = arguments[maxRetries]
        plan.queueLimit = arguments[queue]
        plan.seed = arguments[seed]
        if external, let given = arguments[target] {
            do {
                _ = try SocketAddress.parse(given, forListening: false)
            } catch {
                throw UsageError(program: program, message: "--to: \(error)", suggestsHelp: false)
            }
            plan.externalTarget = given
            let adds = plan.losses.contains { $0 > 0 } || plan.delays.contains { $0 > 0 } || plan.rates.contains { $0 > 0 }
            if adds, plan.protocols.contains(.tcp) {
                throw UsageError(program: program, message: "--network external adds loss, delay and rate through a local "
                    + "UDP relay, which TCP cannot cross; measure tcp without them (the real path), or leave tcp out")
            }
        }
        if arguments.wasGiven(windows) { plan.controlledWindows = plan.windows }
        do {
            plan.controls = try ControlList.resolve(arguments[controls] ?? [], protocols: plan.protocols,
                                                    network: plan.network)
        } catch let error as ValueError {
            throw UsageError(program: commandLine.first ?? "rudp-lab sweep", message: error.message, suggestsHelp: false)
        }
        let stamp = RunEnvironment.isoDate(now).replacingOccurrences(of: ":", with: "").replacingOccurrences(of: "-", with: "")
        return Options(plan: plan, outDirectory: arguments[out] ?? "results/sweep-\(plan.network)-\(stamp)",
                       title: arguments[title], quiet: arguments[quiet])
    }

    /// Parses, runs the sweep with a progress line, writes the report and prints where it is.
    public static func run(_ commandLine: [String]) throws {
        let options = try parse(commandLine)
        let plan = options.plan
        let network = try makeNetwork(plan.network, target: plan.externalTarget)
        var farEnd: [(String, String)] = []
        if let external = network as? ExternalNetwork {
            try external.preflight()
            farEnd = external.farEnd
        }
        if let link = network as? LinkNetwork, let reason = link.unavailableReason, !options.quiet {
            Console.err("rudp-lab sweep: --network link is not possible here: \(reason). Nothing will be measured; "
                + "the report marks every row not measured.")
        }
        let notifier = try? SignalNotifier.install()
        let progress = ProgressLine(enabled: !options.quiet)
        let results = SweepRunner.run(plan, on: network, shouldStop: { notifier?.pendingSignal != nil }) { event in
            progress.update(progressText(event), now: DispatchTime.now().uptimeNanoseconds)
            if case .finished(_, _, let record) = event, !record.ok, !options.quiet {
                progress.log("failed: \(record.condition.label) repeat \(record.repeatNumber): \(record.failure ?? "unknown")")
            }
        }
        progress.finish()
        if let signal = notifier?.pendingSignal {
            throw InterruptedBySignal(signal: signal)
        }
        var description = SweepDescription(
            title: options.title ?? SweepDescription.defaultTitle(for: plan),
            command: commandText(commandLine), environment: .current(date: results.started))
        description.farEnd = farEnd
        try SweepReport.write(results, description: description, to: options.outDirectory)
        let failed = results.records.filter { !$0.ok }.count
        if !options.quiet {
            var line = "wrote \(options.outDirectory)/README.md: \(results.records.count) runs"
            if failed > 0 { line += ", \(failed) failed" }
            if !results.notMeasured.isEmpty {
                line += "; not measured: " + results.notMeasured.keys.sorted().map(\.rawValue).joined(separator: ", ")
            }
            Console.out(line)
        }
        if results.records.isEmpty, let reason = results.notMeasured.values.first {
            throw SweepError("nothing was measured: \(reason)")
        }
    }

    static func makeNetwork(_ kind: NetworkKind, target: String? = nil) throws -> any SweepNetwork {
        switch kind {
        case .sim:
            return SimulatedNetwork()
        case .proxy, .link, .external:
            let programs = ProgramDirectory.besideExecutable()
            let work = FileManager.default.temporaryDirectory.appendingPathComponent("rudp-lab-\(getpid())").path
            try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
            if kind == .proxy {
                for program in ["rudp-send", "rudp-recv", "lossproxy"] { _ = try programs.executable(program) }
                return ProxyNetwork(programs: programs, workDirectory: work)
            }
            if kind == .external, let target {
                for program in ["rudp-send", "lossproxy"] { _ = try programs.executable(program) }
                return ExternalNetwork(programs: programs, workDirectory: work, target: target)
            }
            return LinkNetwork(programs: programs, workDirectory: work)
        }
    }

    static func progressText(_ event: SweepRunner.Event) -> String {
        switch event {
        case .starting(let index, let total, let condition, let repeatNumber):
            return "run \(index)/\(total): \(condition.label), repeat \(repeatNumber) …"
        case .finished(let index, let total, let record):
            let outcome = record.goodputMbps.map { "\(ReportNumbers.goodput($0)) Mbit/s" } ?? "failed"
            return "run \(index)/\(total): \(record.condition.label), repeat \(record.repeatNumber): \(outcome)"
        }
    }

    /// The command as typed, quoted for a shell where needed.
    public static func commandText(_ commandLine: [String]) -> String {
        commandLine.enumerated().map { index, argument in
            if index == 0 { return argument }  // "rudp-lab sweep", already the program and command
            let safe = argument.allSatisfy { $0.isLetter || $0.isNumber || "-_.,:/=%+@".contains($0) }
            return safe && !argument.isEmpty ? argument : "'" + argument.replacingOccurrences(of: "'", with: "'\\''") + "'"
        }.joined(separator: " ")
    }

    static func parseProtocols(_ text: String) throws -> [LabProtocol] {
        let names = try ValueParsers.list(ValueParsers.choice(LabProtocol.allCases.map(\.rawValue)))(text)
        var result: [LabProtocol] = []
        for name in names { if let value = LabProtocol(rawValue: name), !result.contains(value) { result.append(value) } }
        return result
    }

    /// `--rate` as a sweep takes it: 0, `unlimited` or `none` is a link without a bottleneck.
    static var rateOrUnlimited: ImpairmentFlag<UInt64> {
        ImpairmentFlag(ImpairmentFlag.rate.name, placeholder: ImpairmentFlag.rate.placeholder,
                       help: ImpairmentFlag.rate.help, parse: parseRate)
    }

    static func parseRate(_ text: String) throws -> UInt64 {
        if ["unlimited", "none"].contains(text.lowercased()) { return 0 }
        return try ImpairmentFlag.rate.parse(text).bitsPerSecond
    }

    static func parseSize(_ text: String) throws -> Int {
        let bytes = try SizeValue.parse(text).bytes
        guard bytes >= 1, bytes <= 1 << 34 else { throw ValueError("'\(text)' is out of range (1 byte to 16 GiB)") }
        return Int(bytes)
    }

    static func parseRTO(_ text: String) throws -> RetransmissionTimer.Policy {
        if text == "auto" { return .adaptive }
        let duration = try DurationValue.parse(text)
        guard duration.nanoseconds >= 1_000_000 else { throw ValueError("'\(text)' is too short a timeout (1ms at least)") }
        return .fixed(duration.nanoseconds)
    }

    /// `64`, `1,8,64` or `1..256` (every power of two from 1 to 256).
    static func parseWindows(_ text: String) throws -> [Int] {
        let element = ValueParsers.integer(in: 1...SenderConfiguration.maxWindow)
        if let range = text.range(of: "..") {
            let low = try element(String(text[..<range.lowerBound]))
            let high = try element(String(text[range.upperBound...]))
            guard low <= high else { throw ValueError("'\(text)': the range must go from low to high, e.g. 1..256") }
            var values: [Int] = []
            var value = low
            while value < high {
                values.append(value)
                value *= 2
            }
            values.append(high)
            return values
        }
        return try nonEmpty(ValueParsers.list(element))(text)
    }

    static func nonEmpty<Element>(_ parse: @escaping (String) throws -> [Element]) -> (String) throws -> [Element] {
        { text in
            let values = try parse(text)
            guard !values.isEmpty else { throw ValueError("'\(text)' lists nothing") }
            return values
        }
    }
}
