import CLIKit
import Foundation

/// `rudp-lab plot-trace`: draws the time-sequence graph of a `--trace` file.
public enum TracePlotCommandLine {
    public static let name = "plot-trace"
    public static let summary = "Draw the time-sequence graph (tcptrace style) of a rudp-send or rudp-recv --trace file"

    /// What the command line asks for.
    public struct Options: Sendable {
        public var tracePath: String
        public var outPath: String
        public var connection: UInt32?
        public var timeRange: ClosedRange<Double>?
        public var title: String?
        public var quiet: Bool
    }

    /// Parses `commandLine` (starting with "rudp-lab plot-trace"); throws UsageError or ProgramExit.
    public static func parse(_ commandLine: [String]) throws -> Options {
        var spec = CommandSpec(
            name: commandLine.first ?? "rudp-lab plot-trace", summary: summary,
            discussion: """
            Reads FILE, one JSON object per line as rudp-send --trace and rudp-recv --trace write them, and \
            draws packet index (the sequence, counted in packets from 0) against time. From a sender's trace: \
            first transmissions as black ticks, retransmissions in red, timeouts (×) and fast retransmits (○), \
            the cumulative ACK as a green step line and the receiver's window edge in orange. From a \
            receiver's trace: arrivals (after a gap in blue, duplicates in red), the ACKs it sent and the \
            window it advertised. A sender with a congestion controller (--cc reno, cubic or bbr) also traces \
            cwnd lines, drawn in a second panel under the graph on the same time axis: the congestion window \
            and the slow-start threshold in packets, the packets in flight, the pacing rate on a right axis \
            (paced senders), each reduction on loss (●) and each timeout (×).

            Trace format: {"t":SECONDS,"event":NAME,…} per line, t counted from the transfer's start; a \
            receiver's lines carry "conn":ID, its connection ID, as one file holds every transfer. Events: \
            start (role, protocol, window, mss, name, size, peer); send and retransmit (index, bytes); ack \
            and sack (cumulative, sack_blocks, window_edge); timeout (index, rto_ms); fast_retransmit \
            (index); rto (rto_ms, srtt_ms); receive (index, duplicate, out_of_order); ack_sent \
            (cumulative, sack_blocks, window); cwnd (cause: start, ack, loss, timeout or undo; cwnd, ssthresh \
            and in_flight in bytes, ssthresh null before the first loss; mss; pacing_mbps, null when unpaced; \
            phase: slow_start, congestion_avoidance, recovery, or BBR's startup, drain, probe_bw, probe_rtt). \
            cwnd lines come at the handshake, on acknowledgements that changed the controller's state (at \
            most one per four ACKs and per eighth of a smoothed RTT), at each change of phase and on every \
            loss or timeout reaction.
            """,
            usage: "rudp-lab plot-trace FILE [--out SVG] [--connection ID] [--from DUR] [--to DUR] [--title TEXT]",
            examples: [
                HelpExample("rudp-send big.iso 127.0.0.1:9000 --protocol gbn --trace gbn.jsonl && rudp-lab plot-trace gbn.jsonl",
                            "trace a transfer, then draw gbn.svg"),
                HelpExample("rudp-lab plot-trace recv.jsonl --connection 1849788317 --out recv.svg",
                            "one transfer of a receiver's trace"),
                HelpExample("rudp-lab plot-trace sr.jsonl --from 0.5s --to 1s", "zoom on half a second"),
                HelpExample("rudp-send big.iso 127.0.0.1:7000 --cc reno --trace reno.jsonl && rudp-lab plot-trace reno.jsonl",
                            "the time-sequence graph with NewReno's window under it"),
            ])
        let file = spec.positional("FILE", help: "The trace file (JSON lines)", parse: ValueParsers.string)
        let out = spec.option("out", short: "o", placeholder: "SVG", defaultHelp: "FILE with .svg instead of its extension",
                              help: "Where to write the graph", parse: ValueParsers.string)
        let connection = spec.option("connection", short: "c", placeholder: "ID",
                                     defaultHelp: "the first transfer in the file",
                                     help: "Which transfer of a receiver's trace to draw (its conn value)",
                                     parse: { text -> UInt32 in
                                         guard let value = UInt32(text) else {
                                             throw ValueError("'\(text)' is not a connection ID (a number from 0 to 4294967295)")
                                         }
                                         return value
                                     })
        let from = spec.option("from", placeholder: "DUR", defaultHelp: "the start",
                               help: "Draw only from this time on, e.g. 0.5s or 200ms", parse: DurationValue.parse)
        let to = spec.option("to", placeholder: "DUR", defaultHelp: "the end", help: "Draw only up to this time",
                             parse: DurationValue.parse)
        let title = spec.option("title", placeholder: "TEXT", defaultHelp: "protocol, window and packet size",
                                help: "Title of the graph", parse: ValueParsers.string)
        let quiet = spec.flag("quiet", short: "q", help: "Print nothing but errors")
        let arguments = try spec.parse(commandLine)

        let tracePath = arguments[file]
        var range: ClosedRange<Double>?
        if arguments[from] != nil || arguments[to] != nil {
            let lower = arguments[from]?.seconds ?? 0
            let upper = arguments[to]?.seconds ?? .greatestFiniteMagnitude
            guard lower < upper else {
                throw UsageError(program: spec.name, message: "--from must be earlier than --to")
            }
            range = lower...upper
        }
        return Options(tracePath: tracePath, outPath: arguments[out] ?? defaultOutPath(for: tracePath),
                       connection: arguments[connection], timeRange: range, title: arguments[title],
                       quiet: arguments[quiet])
    }

    /// `run.jsonl` → `run.svg`; a name without an extension gets `.svg` added.
    public static func defaultOutPath(for tracePath: String) -> String {
        let url = URL(fileURLWithPath: tracePath)
        let base = url.pathExtension.isEmpty ? tracePath : String(tracePath.dropLast(url.pathExtension.count + 1))
        return base + ".svg"
    }

    /// Builds the plot a parsed command line asks for (the connection chosen, the time range applied).
    public static func plot(_ options: Options, trace: TraceFile) throws -> (plot: TimeSequencePlot, connection: UInt32?) {
        let connections = trace.connections
        var chosen: UInt32?
        if let wanted = options.connection {
            guard connections.contains(wanted) else {
                let known = connections.isEmpty ? "it has none (a sender's trace)"
                    : "it has " + connections.map(String.init).joined(separator: ", ")
                throw TraceError("\(options.tracePath): no connection \(wanted); \(known)")
            }
            chosen = wanted
        } else {
            chosen = connections.first
        }
        var plot = try TimeSequencePlot(events: trace.events(connection: chosen), title: options.title,
                                        timeRange: options.timeRange)
        if let chosen, connections.count > 1 { plot.subtitle = "connection \(chosen): " + plot.subtitle }
        return (plot, chosen)
    }

    public static func run(_ commandLine: [String]) throws {
        let options = try parse(commandLine)
        let trace = try TraceFile.load(path: options.tracePath)
        let (plot, chosen) = try plot(options, trace: trace)
        do {
            try plot.render().write(toFile: options.outPath, atomically: true, encoding: .utf8)
        } catch {
            throw TraceError("cannot write \(options.outPath): \(error.localizedDescription)")
        }
        guard !options.quiet else { return }
        Console.out("wrote \(options.outPath): \(plot.counts)")
        let others = trace.connections.filter { $0 != chosen }
        if !others.isEmpty {
            Console.err("rudp-lab plot-trace: the file holds \(others.count + 1) transfers; drew connection "
                + "\(chosen.map(String.init) ?? "?"); choose another with --connection "
                + others.prefix(5).map(String.init).joined(separator: ", ") + (others.count > 5 ? ", …" : ""))
        }
    }
}
