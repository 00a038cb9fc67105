/// NewReno: slow start to the threshold (or until HyStart++ sees a queue build), then one MSS
/// more per window acknowledged (additive increase); on a loss the window halves once per round
/// trip (multiplicative decrease); when the retransmission timer expires twice in a row it falls
/// to the minimum window of two packets and slow start begins again. The shape of
/// RFC 9002 §7 (byte counting, recovery periods) over RFC 5681's rules.
public final class NewRenoController: CongestionController {
    let mss: Int
    public private(set) var window: Int
    private var threshold = Int.max
    /// Bytes acknowledged in congestion avoidance since the window last grew by one MSS.
    private var acknowledgedSinceIncrease = 0
    private var recovery = LossRecovery()
    private var hyStart = HyStartPlusPlus()
    /// Window and threshold before the last timeout, to restore if it proves spurious.
    private var beforeTimeout: (window: Int, threshold: Int)?

    /// RFC 9002 §7.2: ten packets, within 14,720 bytes, at least two.
    static func initialWindow(mss: Int) -> Int { min(10 * mss, max(2 * mss, 14_720)) }
    /// The window never drops below two packets (RFC 9002's kMinimumWindow: with one, a single
    /// lost probe stalls the transfer for a whole backed-off timeout).
    var minimumWindow: Int { 2 * mss }

    public init(mss: Int) {
        self.mss = mss
        window = Self.initialWindow(mss: mss)
    }

    public var slowStartThreshold: Int? { threshold == .max ? nil : threshold }

    public var phase: CongestionPhase? {
        recovery.isOpen ? .recovery : (window < threshold ? .slowStart : .congestionAvoidance)
    }

    public func onPacketSent(bytes: Int, now: UInt64) {}

    public func onAcknowledged(_ sample: AcknowledgementSample) {
        // Recovery first: an acknowledgement ends the period (and its phase) even when the window is not the limit.
        guard !recovery.isRecovering(ackedPacketSentAt: sample.sentTime), sample.isWindowLimited else { return }
        let bytes = sample.bytes
        if window < threshold {
            // Slow start: doubles every round trip, a quarter as fast once a queue shows.
            guard let growth = hyStart.growth(for: sample) else {
                threshold = window
                return
            }
            window += growth
            return
        }
        acknowledgedSinceIncrease += bytes
        while acknowledgedSinceIncrease >= window {
            acknowledgedSinceIncrease -= window
            window += mss
        }
    }

    public func onLoss(bytes: Int, sentTime: UInt64, now: UInt64) {
        guard recovery.beginsEvent(lostPacketSentAt: sentTime, now: now) else { return }
        threshold = max(window / 2, minimumWindow)
        window = threshold
        acknowledgedSinceIncrease = 0
    }

    public func onRetransmissionTimeout(sentTime: UInt64, persistent: Bool, now: UInt64) {
        if beforeTimeout == nil { beforeTimeout = (window, threshold) }
        onLoss(bytes: mss, sentTime: sentTime, now: now)
        guard persistent else { return }
        window = minimumWindow
        acknowledgedSinceIncrease = 0
        hyStart.reset()
        recovery.restart(at: now)
    }

    public func onTimeoutVerdict(spurious: Bool, now: UInt64) {
        if spurious, let saved = beforeTimeout { (window, threshold) = saved }
        beforeTimeout = nil
    }
}
