/// No congestion control: the sender is held only by its own window and the receiver's, the
/// textbook Go-Back-N and Selective Repeat behaviour.
public final class FixedWindow: CongestionController {
    public init() {}

    public var window: Int { .max }
    public var slowStartThreshold: Int? { nil }
    public func onPacketSent(bytes: Int, now: UInt64) {}
    public func onAcknowledged(_ sample: AcknowledgementSample) {}
    public func onLoss(bytes: Int, sentTime: UInt64, now: UInt64) {}
    public func onRetransmissionTimeout(sentTime: UInt64, persistent: Bool, now: UInt64) {}
    public func onTimeoutVerdict(spurious: Bool, now: UInt64) {}
}
