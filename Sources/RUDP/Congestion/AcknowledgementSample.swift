/// What one acknowledgement tells a congestion controller.
public struct AcknowledgementSample: Sendable {
    /// Bytes it newly acknowledged.
    public var bytes: Int
    /// When the newest packet it acknowledged was sent (recovery periods compare with it).
    public var sentTime: UInt64
    /// The round-trip sample it gave, if any, and the sender's smoothed estimate.
    public var rtt: UInt64?
    public var smoothedRTT: UInt64?
    /// Bytes still in flight after it.
    public var bytesInFlight: Int
    /// The delivery rate it measured, if it made a sample.
    public var deliveryRate: DeliveryRateSample?
    /// Whether the congestion window was what held the sender back (at least half of it was in
    /// flight before this acknowledgement): a window the sender does not use must not grow
    /// (RFC 7661), or it grows without bound behind the flow-control window.
    public var isWindowLimited: Bool
    public var now: UInt64

    public init(bytes: Int, sentTime: UInt64, rtt: UInt64?, smoothedRTT: UInt64?, bytesInFlight: Int,
                deliveryRate: DeliveryRateSample?, isWindowLimited: Bool = true, now: UInt64) {
        self.bytes = bytes
        self.sentTime = sentTime
        self.rtt = rtt
        self.smoothedRTT = smoothedRTT
        self.bytesInFlight = bytesInFlight
        self.deliveryRate = deliveryRate
        self.isWindowLimited = isWindowLimited
        self.now = now
    }
}
