import CLIKit
import Foundation

/// One line of a `--trace` file (written by rudp-send or rudp-recv), decoded.
public struct TraceEvent: Sendable, Equatable {
    /// What happened; the names are the file's `event` values.
    public enum Kind: String, Sendable, CaseIterable {
        /// The transfer's settings, at t = 0.
        case start
        /// A DATA packet sent for the first time.
        case send
        /// A DATA packet sent again.
        case retransmit
        /// An acknowledgement arrived at the sender, without SACK blocks.
        case ack
        /// An acknowledgement with SACK blocks arrived at the sender.
        case sack
        /// The retransmission timer expired.
        case timeout
        /// A packet was found lost by the packet threshold and is resent early.
        case fastRetransmit = "fast_retransmit"
        /// The retransmission timeout changed.
        case rto
        /// A DATA packet reached the receiver.
        case receive
        /// The receiver sent an acknowledgement.
        case ackSent = "ack_sent"
        /// The sender's congestion controller: window, threshold, in flight, pacing rate, phase.
        case cwnd
    }

    /// A `cwnd` line's values, sizes converted to packets of the line's `mss`.
    public struct Congestion: Sendable, Equatable {
        /// Why it was written: start, ack, loss, timeout or undo.
        public var cause: String
        public var window: Double
        public var slowStartThreshold: Double?
        public var inFlight: Double
        public var pacingMbps: Double?
        /// slow_start, congestion_avoidance, recovery, startup, drain, probe_bw or probe_rtt.
        public var phase: String?

        /// Whether the line records the controller's reaction to a loss or a timeout.
        public var isReaction: Bool { cause == "loss" || cause == "timeout" }
    }

    /// Seconds since the transfer started.
    public var time: Double
    public var kind: Kind
    /// The connection ID (`conn`), present in a receiver's trace.
    public var connection: UInt32?
    /// The packet index of send, retransmit, timeout, fast_retransmit and receive.
    public var index: Int?
    /// Packets below this are acknowledged (ack, sack, ack_sent).
    public var cumulative: Int?
    /// The right edge of the receiver's window: `window_edge` (ack, sack), or
    /// `cumulative + window` (ack_sent).
    public var windowEdge: Int?
    /// rto and timeout: the retransmission timeout in milliseconds.
    public var rtoMilliseconds: Double?
    /// receive: a packet that had arrived before.
    public var duplicate = false
    /// receive: a packet that arrived after a gap.
    public var outOfOrder = false
    /// cwnd: the controller's state.
    public var congestion: Congestion?
    /// Every field of the line, as written (the `start` line's settings are read from here).
    public var fields: JSONValue

    public init(time: Double, kind: Kind, fields: JSONValue = .object([])) {
        self.time = time
        self.kind = kind
        self.fields = fields
    }

    /// Decodes one line; nil for an event this reader does not know (newer writers may add some).
    static func decode(_ object: JSONValue, line: Int) throws -> TraceEvent? {
        guard case .object = object else { throw TraceError(line: line, "not a JSON object") }
        guard let time = object["t"]?.doubleValue, time.isFinite, time >= 0 else {
            throw TraceError(line: line, "no time: every line needs \"t\", seconds since the transfer started")
        }
        guard let name = object["event"]?.stringValue else { throw TraceError(line: line, "no \"event\" name") }
        guard let kind = Kind(rawValue: name) else { return nil }
        var event = TraceEvent(time: time, kind: kind, fields: object)
        if let connection = object["conn"]?.intValue { event.connection = UInt32(exactly: connection) }
        func required(_ key: String) throws -> Int {
            guard let value = object[key]?.intValue, value >= 0 else {
                throw TraceError(line: line, "\(name) without a whole, non-negative \"\(key)\"")
            }
            return value
        }
        switch kind {
        case .start:
            break
        case .send, .retransmit, .fastRetransmit:
            event.index = try required("index")
        case .timeout:
            event.index = try required("index")
            event.rtoMilliseconds = object["rto_ms"]?.doubleValue
        case .ack, .sack:
            event.cumulative = try required("cumulative")
            event.windowEdge = try required("window_edge")
        case .ackSent:
            let cumulative = try required("cumulative")
            event.cumulative = cumulative
            event.windowEdge = cumulative + (try required("window"))
        case .rto:
            event.rtoMilliseconds = object["rto_ms"]?.doubleValue
        case .receive:
            event.index = try required("index")
            event.duplicate = object["duplicate"]?.boolValue ?? false
            event.outOfOrder = object["out_of_order"]?.boolValue ?? false
        case .cwnd:
            let mss = try required("mss")
            guard mss > 0 else { throw TraceError(line: line, "cwnd with \"mss\" 0") }
            let packets = { (bytes: Int) in Double(bytes) / Double(mss) }
            event.congestion = Congestion(
                cause: object["cause"]?.stringValue ?? "ack", window: packets(try required("cwnd")),
                slowStartThreshold: object["ssthresh"]?.intValue.map(packets), inFlight: packets(try required("in_flight")),
                pacingMbps: object["pacing_mbps"]?.doubleValue, phase: object["phase"]?.stringValue)
        }
        return event
    }
}

/// A trace file's lines that are wrong, with the line number.
public struct TraceError: Error, CustomStringConvertible, Sendable, Equatable {
    public let message: String

    public init(_ message: String) {
        self.message = message
    }

    init(line: Int, _ problem: String) {
        message = "line \(line): \(problem)"
    }

    public var description: String { message }
}

/// A whole `--trace` file: the events in file order, for one transfer (rudp-send) or several
/// told apart by their connection ID (rudp-recv).
///
/// Format: one JSON object per line, `{"t":SECONDS,"event":NAME,…}`, with `"conn":ID` after
/// `t` in a receiver's trace. Events and their fields:
/// - `start`: `role` (sender or receiver) and settings (`protocol`, `window`, `mss`, `name`,
///   `size`, `peer`).
/// - `send`, `retransmit`: `index` (packet number from 0), `bytes`.
/// - `ack` (no SACK blocks) and `sack`: `cumulative` (packets below it acknowledged),
///   `sack_blocks`, `window_edge` (the receiver's window ends there).
/// - `timeout`: `index`, `rto_ms`. `fast_retransmit`: `index`. `rto`: `rto_ms`, `srtt_ms`.
/// - `receive`: `index`, `duplicate`, `out_of_order`. `ack_sent`: `cumulative`,
///   `sack_blocks`, `window`.
/// - `cwnd` (a sender with a congestion controller, not `--cc none`): `cause` (start, ack, loss,
///   timeout, undo), `cwnd`, `ssthresh` (null before the first loss), `in_flight` (all in
///   bytes), `mss`, `pacing_mbps` (null unpaced), `phase` (slow_start, congestion_avoidance,
///   recovery; BBR's startup, drain, probe_bw, probe_rtt).
public struct TraceFile: Sendable {
    public var events: [TraceEvent]
    /// Lines skipped because their event is unknown to this reader.
    public var unknownEvents = 0

    public init(events: [TraceEvent]) {
        self.events = events
    }

    /// Parses the text of a trace file; blank lines are allowed, anything else malformed is an
    /// error naming its line.
    public init(parsing text: String) throws {
        events = []
        var lineNumber = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            let object: JSONValue
            do {
                object = try JSONValue(parsing: trimmed)
            } catch {
                throw TraceError(line: lineNumber, "\(error)")
            }
            if let event = try TraceEvent.decode(object, line: lineNumber) {
                events.append(event)
            } else {
                unknownEvents += 1
            }
        }
    }

    /// Reads and parses the file at `path`; the error names the file.
    public static func load(path: String) throws -> TraceFile {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw TraceError("\(path): cannot read (\(Self.reason(error)))")
        }
        do {
            let file = try TraceFile(parsing: text)
            guard !file.events.isEmpty else { throw TraceError("no events (was it written with --trace?)") }
            return file
        } catch let error as TraceError {
            throw TraceError("\(path): \(error.message)")
        }
    }

    private static func reason(_ error: any Error) -> String {
        if let cocoa = error as? CocoaError, let underlying = cocoa.userInfo[NSUnderlyingErrorKey] as? NSError,
           underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        if let cocoa = error as? CocoaError, cocoa.code == .fileReadNoSuchFile { return "no such file" }
        return error.localizedDescription
    }

    /// The connection IDs present, in order of first appearance (empty for a sender's trace).
    public var connections: [UInt32] {
        var seen: [UInt32] = []
        for event in events {
            if let connection = event.connection, !seen.contains(connection) { seen.append(connection) }
        }
        return seen
    }

    /// The events of one connection (all of them when `connection` is nil).
    public func events(connection: UInt32?) -> [TraceEvent] {
        guard let connection else { return events }
        return events.filter { $0.connection == connection }
    }

    /// The `start` line of `connection` (or the first one).
    public func start(connection: UInt32? = nil) -> TraceEvent? {
        events.first { $0.kind == .start && (connection == nil || $0.connection == connection) }
    }
}
