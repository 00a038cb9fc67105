/// What one acknowledgement says about the path's delivery rate (draft-cheng-iccrg-delivery-rate-estimation).
public struct DeliveryRateSample: Sendable, Equatable {
    /// Bytes delivered per second over the sample's interval.
    public var bytesPerSecond: Double
    /// The interval in nanoseconds: the longer of the send and the acknowledgement phases, so
    /// that neither a burst sent nor a burst of ACKs inflates the rate.
    public var interval: UInt64
    /// Whether the sender had too little data to fill the window then: the rate is a floor.
    public var isAppLimited: Bool
    /// The connection's delivered count when the newest packet acknowledged was sent (BBR counts
    /// round trips with it).
    public var priorDelivered: Int
}

/// Delivery-rate estimation: each packet remembers, when sent, how much had been delivered and
/// when; its acknowledgement then measures what was delivered in between, and over how long.
/// Sans-IO like the rest of the core: the sender hands in packets, acknowledgements and time.
struct DeliveryRateEstimator {
    /// What a packet carries from its (latest) transmission.
    struct SendSnapshot {
        var delivered = 0
        var deliveredTime: UInt64 = 0
        var firstSentTime: UInt64 = 0
        var sentTime: UInt64 = 0
        var isAppLimited = false
    }

    /// Bytes delivered (acknowledged) so far, and when the latest of them was.
    private(set) var delivered = 0
    private var deliveredTime: UInt64 = 0
    /// Send time of the packet most recently acknowledged: the start of the next send phase.
    private var firstSentTime: UInt64 = 0
    /// While non-zero, samples are app-limited until this much has been delivered.
    private var appLimitedUntil = 0
    /// The newest send snapshot acknowledged since the last sample.
    private var pending: SendSnapshot?

    /// A packet leaves now with `bytesInFlight` already in flight; its snapshot.
    mutating func onSent(bytesInFlight: Int, now: UInt64) -> SendSnapshot {
        if bytesInFlight == 0 {
            // Nothing in flight: the next interval starts now, not at a stale acknowledgement.
            firstSentTime = now
            deliveredTime = now
        }
        return SendSnapshot(delivered: delivered, deliveredTime: deliveredTime, firstSentTime: firstSentTime,
                            sentTime: now, isAppLimited: appLimitedUntil != 0)
    }

    /// A packet of `bytes`, sent with `snapshot`, is acknowledged now.
    mutating func onAcknowledged(_ snapshot: SendSnapshot, bytes: Int, now: UInt64) {
        delivered += bytes
        deliveredTime = now
        if appLimitedUntil != 0 && delivered > appLimitedUntil { appLimitedUntil = 0 }
        if pending == nil || snapshot.delivered > pending!.delivered
            || (snapshot.delivered == pending!.delivered && snapshot.sentTime > pending!.sentTime) {
            pending = snapshot
            firstSentTime = snapshot.sentTime
        }
    }

    /// The sample of the acknowledgement just processed, if it makes one: nil when nothing was
    /// newly acknowledged or the interval is shorter than `minimumRTT` (too short to mean anything).
    mutating func takeSample(minimumRTT: UInt64?) -> DeliveryRateSample? {
        guard let snapshot = pending else { return nil }
        pending = nil
        let sendElapsed = snapshot.sentTime &- snapshot.firstSentTime
        let ackElapsed = deliveredTime &- snapshot.deliveredTime
        let interval = max(sendElapsed, ackElapsed)
        let bytes = delivered - snapshot.delivered
        guard interval > 0, bytes > 0, interval >= (minimumRTT ?? 0) else { return nil }
        return DeliveryRateSample(bytesPerSecond: Double(bytes) * 1e9 / Double(interval), interval: interval,
                                  isAppLimited: snapshot.isAppLimited, priorDelivered: snapshot.delivered)
    }

    /// The application has nothing more to send now and the window is not full: until what is
    /// in flight is delivered, samples measure the application, not the path.
    mutating func markAppLimited(bytesInFlight: Int) {
        appLimitedUntil = max(delivered + bytesInFlight, 1)
    }
}
