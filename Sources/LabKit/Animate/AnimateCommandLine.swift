import CLIKit
import Foundation
import RUDP

/// `rudp-lab animate`: one self-contained HTML page animating a transfer, from a scripted
/// scenario run through the real state machines in the simulator, a textbook exercise, or a
/// `--trace` file of a real transfer.
public enum AnimateCommandLine {
    public static let name = "animate"
    public static let summary = "Animate a transfer in one self-contained HTML page: a textbook exercise, a scripted scenario or a --trace file"

    /// What to animate.
    public enum Input: Sendable {
        case exercise(AnimationExercise, [AnimationScenario])
        case scenario(AnimationScenario)
        case trace(path: String, connection: UInt32?, assumedDelay: Double?, maxFlights: Int)
    }

    /// What the command line asks for.
    public struct Options: Sendable {
        public var input: Input
        public var outPath: String
        public var title: String?
        public var quiet: Bool
        public var command: String
    }

    static var exerciseHelp: String {
        AnimationExercise.all.map { "  \($0.name): \($0.summary)" }.joined(separator: "\n")
    }

    /// Parses `commandLine` (starting with "rudp-lab animate"); throws UsageError or ProgramExit.
    public static func parse(_ commandLine: [String]) throws -> Options {
        var spec = CommandSpec(
            name: commandLine.first ?? "rudp-lab animate", summary: summary,
            discussion: """
            Writes one HTML file (inline script and style: it loads nothing, works offline) with a ladder diagram \
            of the transfer: sender and receiver timelines, every DATA packet and ACK in flight, losses marked \
            where they happen, the sender's window (base, next) and the receiver's buffer, the retransmission \
            timer and its timeouts, retransmissions, and the congestion window when a controller runs. Play, \
            pause, step forward and back (← →), change the speed or drag the time cursor. A scenario runs the \
            real RUDP sender and receiver in the simulator on a virtual clock (one ACK per packet, as in the \
            textbook); the losses are scripted drops of exactly the datagrams named. A page's "what to observe" \
            notes are computed from its run.

            Exercises (--exercise NAME; --protocol, --window, --packets, the losses and --delay change them):
            \(exerciseHelp)

            Scripts and tests read the state drawn: window.rudpAnimation.state() returns it as an object (its JSON text is in <pre id="rudp-state">); seek(t), \
            step(n), play(), pause() move the cursor; each run's <section> carries it as data-* attributes. \
            The URL fragment #t=0.35 opens the page at 0.35 s, #step=12 at the 12th event, &play=1 plays.
            """,
            usage: "rudp-lab animate [--exercise NAME | --trace FILE | SCENARIO] [--out HTML] [--title TEXT]",
            examples: [
                HelpExample("rudp-lab animate --exercise kill-first-packet", "write kill-first-packet.html"),
                HelpExample("rudp-lab animate --exercise kill-first-packet --protocol sr", "the same loss under Selective Repeat"),
                HelpExample("rudp-lab animate --protocol sr --window 4 --packets 10 --lose-data 3,3:2 --lose-ack 5 --out sr.html",
                            "DATA 3 lost twice and the sixth ACK lost"),
                HelpExample("rudp-lab animate --protocol sr --window 64 --packets 200 --cc reno --lose-data 40",
                            "slow start and a loss, with the congestion window drawn"),
                HelpExample("rudp-send f.bin 127.0.0.1:7000 --protocol gbn --trace gbn.jsonl && rudp-lab animate --trace gbn.jsonl",
                            "animate a real transfer from its trace"),
            ])
        spec.section("What to animate")
        let exercise = spec.option("exercise", short: "e", placeholder: "NAME",
                                   help: "A textbook exercise: " + AnimationExercise.all.map(\.name).joined(separator: ", "),
                                   parse: { text -> AnimationExercise in
                                       guard let found = AnimationExercise.named(text) else {
                                           throw ValueError("'\(text)' is not an exercise; they are "
                                               + AnimationExercise.all.map(\.name).joined(separator: ", "))
                                       }
                                       return found
                                   })
        let trace = spec.option("trace", placeholder: "FILE", help: "A rudp-send or rudp-recv --trace file to animate",
                                parse: ValueParsers.string)
        spec.section("Scenario (simulated)")
        let mode = spec.option("protocol", short: "p", placeholder: "sw|gbn|sr", defaultHelp: "gbn",
                               help: "Stop-and-wait, Go-Back-N or Selective Repeat", parse: { text -> TransferMode in
                                   guard let mode = TransferMode(shortName: text) else {
                                       throw ValueError("'\(text)' is not a protocol to animate; use sw, gbn or sr")
                                   }
                                   return mode
                               })
        let window = spec.option("window", short: "w", placeholder: "N", defaultHelp: "4 (sw: 1)",
                                 help: "The sender's window in packets", parse: ValueParsers.integer(in: 1...1_024))
        let packets = spec.option("packets", short: "n", placeholder: "N", defaultHelp: "8",
                                  help: "DATA packets in the transfer", parse: ValueParsers.integer(in: 1...5_000))
        let loseData = spec.option("lose-data", placeholder: "LIST", defaultHelp: "none",
                                   help: "DATA packets the link loses, from 0: '0,3' loses the first sending of each; "
                                       + "'3:2' the second sending of packet 3", parse: ValueParsers.list(parseDataLoss))
        let loseAck = spec.option("lose-ack", placeholder: "LIST", defaultHelp: "none",
                                  help: "ACKs the link loses, counted from 0 among the receiver's ACKs of data "
                                      + "(0 is the first ACK)", parse: ValueParsers.list(ValueParsers.integer(in: 0...100_000)))
        let delay = spec.option("delay", short: "d", placeholder: "DUR", defaultHelp: "50ms",
                                help: "One-way delay of the link, each way; for a trace, the delay to assume where "
                                    + "the trace cannot tell", parse: DurationValue.parse)
        let rate = spec.option("rate", placeholder: "RATE", defaultHelp: AnimationFormat.rate(AnimationScenario.defaultRate),
                               help: "The link's rate each way: a packet takes its size over the rate to go out",
                               parse: RateValue.parse)
        let congestion = spec.option("cc", placeholder: "none|reno|cubic|bbr", defaultHelp: "none",
                                     help: "The sender's congestion controller (its window is drawn)",
                                     parse: { text -> CongestionAlgorithm in
                                         guard let algorithm = CongestionAlgorithm(rawValue: text) else {
                                             throw ValueError("'\(text)' is not a congestion controller; use none, reno, cubic or bbr")
                                         }
                                         return algorithm
                                     })
        let rto = spec.option("rto", placeholder: "auto|DUR", defaultHelp: "auto",
                              help: "Retransmission timeout: RFC 6298 adaptive, or fixed", parse: parseRTO)
        let ackFrequency = spec.option("ack-frequency", placeholder: "N", defaultHelp: "1",
                                       help: "In-order packets the receiver acknowledges together (the real receiver's "
                                           + "default is 16, at most a quarter of the window)",
                                       parse: ValueParsers.integer(in: 1...64))
        spec.section("Trace")
        let connection = spec.option("connection", short: "c", placeholder: "ID", defaultHelp: "the first transfer in the file",
                                     help: "Which transfer of a receiver's trace (its conn value)", parse: { text -> UInt32 in
                                         guard let value = UInt32(text) else { throw ValueError("'\(text)' is not a connection ID") }
                                         return value
                                     })
        let maxFlights = spec.option("max-packets", placeholder: "N", default: "300",
                                     help: "Animate a trace only up to this many DATA sendings",
                                     parse: ValueParsers.integer(in: 1...100_000))
        spec.section("Output")
        let out = spec.option("out", short: "o", placeholder: "HTML", defaultHelp: "EXERCISE.html, animation.html or TRACE.html",
                              help: "Where to write the page", parse: ValueParsers.string)
        let title = spec.option("title", placeholder: "TEXT", defaultHelp: "from the scenario", help: "Title of the page",
                                parse: ValueParsers.string)
        let quiet = spec.flag("quiet", short: "q", help: "Print nothing but errors")
        let arguments = try spec.parse(commandLine)
        func usage(_ message: String) -> UsageError { UsageError(program: spec.name, message: message) }

        let scenarioFlags = [arguments[mode] != nil, arguments[window] != nil, arguments[packets] != nil,
                             arguments[loseData] != nil, arguments[loseAck] != nil, arguments[congestion] != nil,
                             arguments[rto] != nil, arguments[ackFrequency] != nil, arguments[rate] != nil]
        let command = SweepCommandLine.commandText(commandLine)
        if let path = arguments[trace] {
            guard arguments[exercise] == nil else { throw usage("give --trace or --exercise, not both") }
            guard !scenarioFlags.contains(true) else {
                throw usage("--protocol, --window, --packets, --lose-data, --lose-ack, --rate, --cc, --rto and --ack-frequency "
                    + "describe a simulated scenario, not a --trace")
            }
            return Options(input: .trace(path: path, connection: arguments[connection],
                                         assumedDelay: arguments[delay]?.seconds, maxFlights: arguments[maxFlights]),
                           outPath: arguments[out] ?? TracePlotCommandLine.defaultOutPath(for: path).dropLast(4) + ".html",
                           title: arguments[title], quiet: arguments[quiet], command: command)
        }
        guard arguments[connection] == nil else { throw usage("--connection chooses a transfer of a --trace") }

        /// Applies the flags given to a scenario (an exercise's, or the default one).
        func apply(_ base: AnimationScenario, keepMode: Bool) -> AnimationScenario {
            var scenario = base
            if let chosen = arguments[mode], !keepMode { scenario.mode = chosen }
            if let chosen = arguments[window] { scenario.window = chosen }
            if let chosen = arguments[packets] { scenario.packets = chosen }
            if let chosen = arguments[loseData] { scenario.dataLosses = chosen }
            if let chosen = arguments[loseAck] { scenario.ackLosses = chosen }
            if let chosen = arguments[delay] { scenario.oneWayDelay = chosen.nanoseconds }
            if let chosen = arguments[rate] { scenario.rate = max(chosen.bitsPerSecond, 1_000) }
            if let chosen = arguments[congestion] { scenario.congestionControl = chosen }
            if let chosen = arguments[rto] { scenario.retransmission = chosen }
            if let chosen = arguments[ackFrequency] { scenario.ackFrequency = chosen }
            return scenario
        }
        if let chosen = arguments[exercise] {
            if chosen.scenarios.count > 1 && arguments[mode] != nil {
                throw usage("--exercise \(chosen.name) runs " + chosen.scenarios.map(\.mode.shortName).joined(separator: " and ")
                    + " side by side; --protocol does not apply")
            }
            let scenarios = chosen.scenarios.map { apply($0, keepMode: chosen.scenarios.count > 1) }
            return Options(input: .exercise(chosen, scenarios), outPath: arguments[out] ?? "\(chosen.name).html",
                           title: arguments[title], quiet: arguments[quiet], command: command)
        }
        var scenario = apply(AnimationScenario(mode: .goBackN, window: 4, packets: 8), keepMode: false)
        if scenario.mode == .stopAndWait { scenario.window = 1 }
        return Options(input: .scenario(scenario), outPath: arguments[out] ?? "animation.html", title: arguments[title],
                       quiet: arguments[quiet], command: command)
    }

    static func parseDataLoss(_ text: String) throws -> AnimationScenario.DataLoss {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count <= 2, let index = Int(parts[0]), index >= 0,
              let transmission = parts.count == 2 ? Int(parts[1]) : 1, transmission >= 1 else {
            throw ValueError("'\(text)' is not a DATA packet to lose: give its index from 0 (e.g. 3), or index:sending (3:2)")
        }
        return AnimationScenario.DataLoss(index: index, transmission: transmission)
    }

    static func parseRTO(_ text: String) throws -> RetransmissionTimer.Policy {
        if text == "auto" { return .adaptive }
        let value = try DurationValue.parse(text).nanoseconds
        guard value >= 1_000_000 else { throw ValueError("'\(text)' is below the 1ms an RTO may be") }
        return .fixed(value)
    }

    /// The page the options ask for.
    public static func page(_ options: Options) throws -> AnimationPage {
        switch options.input {
        case .exercise(let exercise, let scenarios):
            let changed = scenarios.map(\.arguments) != exercise.scenarios.map(\.arguments)
            var page = try AnimationBuilder.page(exercise: exercise, scenarios: scenarios,
                                                 command: changed ? options.command : nil)
            if let title = options.title { page.title = title }
            return page
        case .scenario(let scenario):
            return try AnimationBuilder.page(title: options.title ?? "Animation: " + scenario.summary, scenarios: [scenario],
                                             command: options.command)
        case .trace(let path, let connection, let delay, let maxFlights):
            let file = try TraceFile.load(path: path)
            let run = try TraceAnimation.run(file, path: path, connection: connection, assumedDelay: delay,
                                             maxDataSendings: maxFlights, command: options.command)
            return AnimationPage(title: options.title ?? run.title, runs: [run])
        }
    }

    public static func run(_ commandLine: [String]) throws {
        let options = try parse(commandLine)
        let page: AnimationPage
        do {
            page = try self.page(options)
        } catch let failure as ScenarioRecorder.Failure {
            throw RuntimeFailure(failure.description)
        }
        do {
            try page.render().write(toFile: options.outPath, atomically: true, encoding: .utf8)
        } catch {
            throw RuntimeFailure("cannot write \(options.outPath): \(error.localizedDescription)")
        }
        guard !options.quiet else { return }
        let counts = page.runs.map { run in
            "\(run.protocolName): \(run.flights.filter { $0.kind == .data }.count) DATA sendings, "
                + "\(run.retransmissions.count) resent, \(run.timeouts.count) timeouts, "
                + "\(run.flights.filter(\.lost).count) lost"
        }
        Console.out("wrote \(options.outPath): " + counts.joined(separator: "; "))
    }
}
