/// What a traced sender's congestion controller holds at one moment, and why it was reported
/// (the `cwnd` line of a `--trace` file). Sizes are in bytes; `mss` converts them to packets.
public struct CongestionReport: Sendable, Equatable {
    /// What made the sender report.
    public enum Cause: String, Sendable, CaseIterable {
        /// The handshake completed: the initial window.
        case start
        /// Acknowledgements changed the window, threshold, pacing rate (sampled) or the phase.
        case acknowledgement = "ack"
        /// The controller reacted to a loss found before its timer (a window reduction).
        case loss
        /// The retransmission timer expired (reported whether or not the window changed).
        case timeout
        /// A timeout proved spurious and its reduction was undone.
        case undo
    }

    public var cause: Cause
    /// The congestion window: bytes that may be in flight.
    public var window: Int
    /// The slow-start threshold, where the controller has one.
    public var slowStartThreshold: Int?
    /// Bytes sent and neither acknowledged nor declared lost.
    public var bytesInFlight: Int
    /// The packet payload size the window is counted against.
    public var mss: Int
    /// Bytes per second the sender paces at; nil when it does not pace.
    public var pacingRate: Double?
    public var phase: CongestionPhase?

    public init(cause: Cause, window: Int, slowStartThreshold: Int?, bytesInFlight: Int, mss: Int,
                pacingRate: Double?, phase: CongestionPhase?) {
        self.cause = cause
        self.window = window
        self.slowStartThreshold = slowStartThreshold
        self.bytesInFlight = bytesInFlight
        self.mss = mss
        self.pacingRate = pacingRate
        self.phase = phase
    }

    /// Whether the controller's own state (window, threshold, rate, phase) is the same in both:
    /// the bytes in flight change with every packet and are no reason to report.
    func hasSameControllerState(as other: CongestionReport) -> Bool {
        window == other.window && slowStartThreshold == other.slowStartThreshold && pacingRate == other.pacingRate
            && phase == other.phase
    }
}

/// Keeps a traced sender's congestion reports few: on acknowledgements at most one per
/// eighth of a smoothed RTT and per four acknowledgements, and only when the controller's
/// state changed, so the `cwnd` lines stay a small fraction of a trace's ACK lines (a window
/// grows by at most a packet per ACK, eight samples per round trip draw it faithfully). A new
/// phase is reported at once (a short one, such as BBR's Drain, would otherwise go unseen; phases
/// change a few times per loss event at most), and so are reactions to loss and timeouts.
struct CongestionReportSchedule {
    static let reportsPerRoundTrip: UInt64 = 8
    static let acknowledgementsPerReport = 4

    private(set) var lastReported: CongestionReport?
    private var lastTime: UInt64 = 0
    private var acknowledgements = 0

    /// Counts one acknowledgement; whether `report` is to be written for it.
    mutating func isDue(_ report: CongestionReport, now: UInt64, smoothedRTT: UInt64?) -> Bool {
        acknowledgements += 1
        guard let last = lastReported else { return true }
        if report.phase != last.phase { return true }
        guard acknowledgements >= Self.acknowledgementsPerReport,
              now &- lastTime >= (smoothedRTT ?? 0) / Self.reportsPerRoundTrip else { return false }
        return !report.hasSameControllerState(as: last)
    }

    /// Whether the controller's state differs from the last report's (or none was written yet).
    func isNews(_ report: CongestionReport) -> Bool {
        lastReported.map { !report.hasSameControllerState(as: $0) } ?? true
    }

    /// `report` was written at `now`.
    mutating func didReport(_ report: CongestionReport, now: UInt64) {
        lastReported = report
        lastTime = now
        acknowledgements = 0
    }
}
