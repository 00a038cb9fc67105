/// The outcome of one run of a sweep: one row of results.csv.
public struct RunRecord: Sendable, Equatable {
    public var condition: SweepCondition
    /// 1-based repeat number.
    public var repeatNumber: Int
    /// Seconds from the first packet to the receiver's confirmation (or to the failure), if known.
    public var seconds: Double?
    /// File bytes × 8 / seconds / 10^6, for a successful run only.
    public var goodputMbps: Double?
    public var retransmissions: Int?
    public var timeouts: Int?
    /// True when the file arrived intact and the sender confirmed it.
    public var ok: Bool
    /// Why the run failed, for the report.
    public var failure: String?
    /// The congestion control the run really used: RUDP's (`none`, `reno`, `cubic`, `bbr`) or, for
    /// TCP, the kernel's as read back from the connection (`cubic`, `bbr`, …); nil if unknown.
    public var congestionControl: String?

    public init(condition: SweepCondition, repeatNumber: Int, seconds: Double?, goodputMbps: Double?,
                retransmissions: Int?, timeouts: Int?, ok: Bool, failure: String? = nil, congestionControl: String? = nil) {
        self.condition = condition
        self.repeatNumber = repeatNumber
        self.seconds = seconds
        self.goodputMbps = goodputMbps
        self.retransmissions = retransmissions
        self.timeouts = timeouts
        self.ok = ok
        self.failure = failure
        self.congestionControl = congestionControl
    }

    /// A failed run that produced no numbers.
    public static func failed(_ condition: SweepCondition, repeatNumber: Int, seconds: Double? = nil,
                              _ reason: String) -> RunRecord {
        RunRecord(condition: condition, repeatNumber: repeatNumber, seconds: seconds, goodputMbps: nil,
                  retransmissions: nil, timeouts: nil, ok: false, failure: reason)
    }
}
