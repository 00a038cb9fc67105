/// One transfer as an animation draws it: every datagram's flight across the link, the
/// sender's timeouts and early resends, and both sides' state over time. Recorded from the
/// real state machines in the simulator (`ScenarioRecorder`) or read from a `--trace` file
/// (`TraceAnimation`); never written by hand. Times are seconds from the first SYN.
public struct AnimationRun: Sendable {
    /// Which recording it came from: the simulator runs both sides, a trace shows one.
    public enum Source: String, Sendable {
        case simulation
        case senderTrace = "sender_trace"
        case receiverTrace = "receiver_trace"
    }

    public var title: String
    public var source: Source
    /// sw, gbn or sr.
    public var protocolName: String
    /// The sender's window in packets (1 for sw).
    public var window: Int
    /// DATA packets in the transfer (as far as it is known; a trace may be cut).
    public var packets: Int
    /// The congestion controller, nil for the fixed window.
    public var congestionControl: String?
    /// The one-way delay of the link (measured for a simulation, estimated for a trace).
    public var oneWayDelay: Double
    /// The link's rate in bits per second, when known.
    public var linkRate: Double?
    /// The command that reproduces it.
    public var command: String
    public var flights: [AnimationFlight] = []
    public var marks: [AnimationMark] = []
    public var senderStates: [SenderSnapshot] = []
    public var receiverStates: [ReceiverSnapshot] = []
    /// "What to observe", each sentence computed from this run.
    public var notes: [String] = []
    /// Anything the reader must know about how it was drawn (estimated times, a cut trace).
    public var caveats: [String] = []

    public init(title: String, source: Source, protocolName: String, window: Int, packets: Int,
                congestionControl: String?, oneWayDelay: Double, linkRate: Double? = nil, command: String) {
        self.title = title
        self.source = source
        self.protocolName = protocolName
        self.window = window
        self.packets = packets
        self.congestionControl = congestionControl
        self.oneWayDelay = oneWayDelay
        self.linkRate = linkRate
        self.command = command
    }

    /// When the last thing happens.
    public var endTime: Double {
        let flightEnd = flights.map { $0.arrived ?? $0.lossTime(oneWayDelay: oneWayDelay) }.max() ?? 0
        let stateEnd = max(senderStates.last?.time ?? 0, receiverStates.last?.time ?? 0)
        return max(flightEnd, stateEnd, marks.map(\.time).max() ?? 0)
    }

    /// The sender's state at `time`: the last snapshot at or before it.
    public func senderState(at time: Double) -> SenderSnapshot? {
        senderStates.last { $0.time <= time }
    }

    /// The receiver's state at `time`: the last snapshot at or before it.
    public func receiverState(at time: Double) -> ReceiverSnapshot? {
        receiverStates.last { $0.time <= time }
    }

    /// The datagrams on the link at `time`: sent, and neither arrived nor lost yet.
    public func inFlight(at time: Double) -> [AnimationFlight] {
        flights.filter { flight in
            guard flight.sent <= time else { return false }
            if let arrived = flight.arrived { return time < arrived }
            return time < flight.lossTime(oneWayDelay: oneWayDelay)
        }
    }

    /// DATA transmissions of packet `index`, in order.
    public func transmissions(of index: Int) -> [AnimationFlight] {
        flights.filter { $0.kind == .data && $0.index == index }
    }

    /// DATA flights that were retransmissions.
    public var retransmissions: [AnimationFlight] { flights.filter { $0.kind == .data && $0.retransmission } }

    /// Timeout marks.
    public var timeouts: [AnimationMark] { marks.filter { $0.kind == .timeout } }
}

/// One datagram crossing the link, from the side that sent it to the other.
public struct AnimationFlight: Sendable, Equatable {
    /// The packet type, as the wire format names it.
    public enum Kind: String, Sendable {
        case syn, synAck = "syn_ack", data, ack, fin, finAck = "fin_ack", reset, other
    }

    public var kind: Kind
    /// True from the sender to the receiver.
    public var towardReceiver: Bool
    /// DATA: the packet index from 0.
    public var index: Int?
    /// ACK: every packet below it has arrived.
    public var cumulative: Int?
    /// ACK: the SACK blocks, as [start, end) packet ranges.
    public var sackBlocks: [Range<Int>] = []
    public var sent: Double
    /// When it reached the other side; nil if it was lost.
    public var arrived: Double?
    /// DATA: which transmission of its packet (1 for the first).
    public var transmission = 1
    /// A time at one end was not recorded but estimated from the delay (one-sided traces).
    public var estimated = false

    public init(kind: Kind, towardReceiver: Bool, sent: Double) {
        self.kind = kind
        self.towardReceiver = towardReceiver
        self.sent = sent
    }

    public var lost: Bool { arrived == nil }
    public var retransmission: Bool { transmission > 1 }

    /// Where a lost datagram is drawn dying: half-way across, on the link.
    public func lossTime(oneWayDelay: Double) -> Double { sent + oneWayDelay / 2 }

    /// A short label: "3", "3 (2nd)", "ACK 4", "ACK 2 +4–5", "SYN".
    public var label: String {
        switch kind {
        case .data:
            let number = index.map(String.init) ?? "?"
            return transmission > 1 ? "\(number) (\(Self.ordinal(transmission)))" : number
        case .ack:
            let blocks = sackBlocks.map { $0.count == 1 ? "\($0.lowerBound)" : "\($0.lowerBound)–\($0.upperBound - 1)" }
            return "ACK \(cumulative.map(String.init) ?? "?")" + (blocks.isEmpty ? "" : " +" + blocks.joined(separator: ","))
        case .syn: return "SYN"
        case .synAck: return "SYN-ACK"
        case .fin: return "FIN"
        case .finAck: return "FIN-ACK"
        case .reset: return "RST"
        case .other: return "?"
        }
    }

    /// 1st, 2nd, 3rd, 4th, … 11th, 12th, 13th, … 21st.
    static func ordinal(_ number: Int) -> String {
        let suffixes = ["th", "st", "nd", "rd"]
        let last = (11...13).contains(number % 100) ? 0 : number % 10
        return "\(number)" + (last < 4 ? suffixes[last] : "th")
    }
}

/// Something the sender decided on its own: a timer expiry or an early (fast) resend.
public struct AnimationMark: Sendable, Equatable {
    public enum Kind: String, Sendable {
        case timeout
        case fastRetransmit = "fast_retransmit"
    }

    public var kind: Kind
    public var time: Double
    /// The packet it concerns (under GBN a timeout names the oldest outstanding one).
    public var index: Int
    /// timeout: the retransmission timeout that expired, in milliseconds.
    public var rtoMilliseconds: Double?

    public init(kind: Kind, time: Double, index: Int, rtoMilliseconds: Double? = nil) {
        self.kind = kind
        self.time = time
        self.index = index
        self.rtoMilliseconds = rtoMilliseconds
    }
}

/// The sender's state from `time` until the next snapshot.
public struct SenderSnapshot: Sendable, Equatable {
    public var time: Double
    /// connecting, transferring, closing, finished or failed.
    public var phase: String
    /// Oldest unacknowledged packet (the window's left edge).
    public var base: Int
    /// Next packet never sent.
    public var next: Int
    /// Packets above `base` the receiver reported holding (SACK), as the sender knows them.
    public var selectivelyAcknowledged: [Int] = []
    /// When the retransmission timer expires; nil when it is not running (or not known).
    public var timerDeadline: Double?
    /// The retransmission timeout in milliseconds, when known.
    public var rtoMilliseconds: Double?
    /// The congestion window in packets (a controller runs).
    public var congestionWindow: Double?
    public var retransmissions = 0
    public var timeouts = 0
    public var fastRetransmits = 0

    public init(time: Double, phase: String, base: Int, next: Int) {
        self.time = time
        self.phase = phase
        self.base = base
        self.next = next
    }

    /// Equal apart from the time: nothing changed.
    func sameState(as other: SenderSnapshot) -> Bool {
        var moved = other
        moved.time = time
        return self == moved
    }
}

/// The receiver's state from `time` until the next snapshot.
public struct ReceiverSnapshot: Sendable, Equatable {
    public var time: Double
    /// Every packet below it has arrived and was delivered in order (the cumulative ACK).
    public var expected: Int
    /// Packets above a gap held for later delivery (Selective Repeat), in order.
    public var buffered: [Int] = []
    /// Out-of-order packets thrown away (Go-Back-N keeps none), so far.
    public var discarded = 0
    /// Packets that arrived again after they had been received, so far.
    public var duplicates = 0
    /// ACKs sent so far.
    public var acksSent = 0
    /// Whether these values were recorded at the receiver (false: inferred from ACKs a sender saw).
    public var recorded = true

    public init(time: Double, expected: Int) {
        self.time = time
        self.expected = expected
    }

    func sameState(as other: ReceiverSnapshot) -> Bool {
        var moved = other
        moved.time = time
        return self == moved
    }
}
