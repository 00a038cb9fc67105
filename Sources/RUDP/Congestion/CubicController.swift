#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// CUBIC (RFC 9438): after a loss the window follows W(t) = C·(t − K)³ + W_max, growing fast far
/// from the window where the last loss happened, flattening as it nears it, then probing beyond.
/// Its growth depends on the time since the loss rather than on the RTT, so long paths fill as
/// fast as short ones; where Reno would grow faster (short RTTs), it grows as Reno (the
/// Reno-friendly region). β = 0.7, C = 0.4, with fast convergence.
public final class CubicController: CongestionController {
    static let beta = 0.7
    static let c = 0.4
    /// Reno-friendly additive increase per RTT (RFC 9438 §4.3): 3(1 − β)/(1 + β) packets.
    static let renoFriendlyIncrease = 3 * (1 - beta) / (1 + beta)

    let mss: Int
    /// The window in bytes; kept fractional so small increments per ACK add up.
    private var congestionWindow: Double
    private var threshold = Double.infinity
    /// The window just before the last reduction, and the one before it (fast convergence).
    private var windowMax = 0.0
    /// The window just before the last reduction: once the Reno-friendly estimate reaches it,
    /// that estimate grows as fast as Reno itself (α = 1, RFC 9438 §4.3).
    private var windowBeforeReduction = 0.0
    /// Start of the current congestion-avoidance epoch, and its K (seconds) and Reno estimate.
    private var epochStart: UInt64?
    private var k = 0.0
    private var renoEstimate = 0.0
    private var recovery = LossRecovery()
    private var hyStart = HyStartPlusPlus()
    /// Everything a timeout changes, as it was before the last one, to restore if it proves spurious.
    private var beforeTimeout: (window: Double, threshold: Double, windowMax: Double, windowBeforeReduction: Double,
                                epochStart: UInt64?, k: Double, renoEstimate: Double)?

    public init(mss: Int) {
        self.mss = mss
        congestionWindow = Double(NewRenoController.initialWindow(mss: mss))
    }

    public var window: Int { Int(congestionWindow) }
    public var slowStartThreshold: Int? { threshold.isFinite ? Int(threshold) : nil }

    public var phase: CongestionPhase? {
        recovery.isOpen ? .recovery : (congestionWindow < threshold ? .slowStart : .congestionAvoidance)
    }
    var minimumWindow: Double { Double(2 * mss) }

    public func onPacketSent(bytes: Int, now: UInt64) {}

    public func onAcknowledged(_ sample: AcknowledgementSample) {
        // Recovery first: an acknowledgement ends the period (and its phase) even when the window is not the limit.
        guard !recovery.isRecovering(ackedPacketSentAt: sample.sentTime), sample.isWindowLimited else { return }
        let acked = Double(sample.bytes)
        let now = sample.now
        if congestionWindow < threshold {
            // Slow start with HyStart++, which RFC 9438 §4.10 recommends.
            guard let growth = hyStart.growth(for: sample) else {
                threshold = congestionWindow
                return
            }
            congestionWindow += Double(growth)
            return
        }
        let segment = Double(mss)
        if epochStart == nil {
            epochStart = now
            // A window below W_max (after a loss) climbs back to it in K seconds; one that has
            // passed it (slow start overshot, or a timeout) probes from where it is.
            k = windowMax > congestionWindow ? cbrt((windowMax - congestionWindow) / segment / Self.c) : 0
            if windowMax < congestionWindow { windowMax = congestionWindow }
            renoEstimate = congestionWindow
        }
        let elapsed = Double(now - epochStart!) / 1e9
        let roundTrip = Double(sample.smoothedRTT ?? sample.rtt ?? 0) / 1e9
        // The window CUBIC aims at one RTT from now, held within [cwnd, 1.5 cwnd].
        let offset = elapsed + roundTrip - k
        let target = min(max(windowMax + Self.c * offset * offset * offset * segment, congestionWindow),
                         1.5 * congestionWindow)
        let alpha = renoEstimate >= windowBeforeReduction ? 1.0 : Self.renoFriendlyIncrease
        renoEstimate += alpha * segment * acked / congestionWindow
        let cubic = windowMax + Self.c * pow(elapsed - k, 3) * segment
        if cubic < renoEstimate {
            congestionWindow = max(congestionWindow, renoEstimate)  // Reno-friendly region
        } else {
            congestionWindow += (target - congestionWindow) * acked / congestionWindow
        }
    }

    public func onLoss(bytes: Int, sentTime: UInt64, now: UInt64) {
        guard recovery.beginsEvent(lostPacketSentAt: sentTime, now: now) else { return }
        reduce()
        congestionWindow = threshold
    }

    public func onRetransmissionTimeout(sentTime: UInt64, persistent: Bool, now: UInt64) {
        if beforeTimeout == nil {
            beforeTimeout = (congestionWindow, threshold, windowMax, windowBeforeReduction, epochStart, k, renoEstimate)
        }
        onLoss(bytes: mss, sentTime: sentTime, now: now)
        guard persistent else { return }
        congestionWindow = minimumWindow
        epochStart = nil
        hyStart.reset()
        recovery.restart(at: now)
    }

    public func onTimeoutVerdict(spurious: Bool, now: UInt64) {
        if spurious, let saved = beforeTimeout {
            (congestionWindow, threshold, windowMax, windowBeforeReduction, epochStart, k, renoEstimate) = saved
        }
        beforeTimeout = nil
    }

    /// The multiplicative decrease: remember where the loss happened (lower, if losses come
    /// sooner each time: another flow wants a share) and set the threshold to β of it.
    private func reduce() {
        windowBeforeReduction = congestionWindow
        windowMax = congestionWindow < windowMax ? congestionWindow * (1 + Self.beta) / 2 : congestionWindow
        threshold = max(congestionWindow * Self.beta, minimumWindow)
        epochStart = nil
    }
}
