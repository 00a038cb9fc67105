/// The congestion controller a sender drives, sans-IO, in the shape of quinn-proto's
/// `congestion::Controller`: the sender reports what it sent, what was acknowledged (with the
/// RTT), what it found lost and when its timer expired; the controller answers how many bytes
/// may be in flight. Time is a parameter, as everywhere in the core.
public protocol CongestionController: AnyObject {
    /// Bytes that may be in flight (sent, neither acknowledged nor declared lost).
    var window: Int { get }
    /// The slow-start threshold, where the controller has one (for traces and plots).
    var slowStartThreshold: Int? { get }
    /// Bytes per second the sender spreads its packets at; nil sends each window as it opens.
    var pacingRate: Double? { get }
    /// The part of its algorithm it is in, for traces; nil for a controller without phases.
    var phase: CongestionPhase? { get }
    /// A packet of `bytes` left (new data or a retransmission).
    func onPacketSent(bytes: Int, now: UInt64)
    /// An acknowledgement newly acknowledged something.
    func onAcknowledged(_ sample: AcknowledgementSample)
    /// A packet sent at `sentTime` was declared lost before its timer (a packet or time threshold).
    func onLoss(bytes: Int, sentTime: UInt64, now: UInt64)
    /// The retransmission timer expired for a packet sent at `sentTime`. A first expiry is a
    /// loss like any other (the timer only fired before the acknowledgements that would have
    /// shown it); `persistent` says the timer has expired again with no acknowledgement in
    /// between: the path may have changed, and the controller falls back to its minimum window
    /// and slow start (RFC 9002 §7.6's persistent congestion; RFC 5681 §3.1's loss window is one
    /// packet, RFC 9002's two).
    func onRetransmissionTimeout(sentTime: UInt64, persistent: Bool, now: UInt64)
    /// The first acknowledgement of the packet the last timeout resent says whether that
    /// timeout was spurious: the original had arrived after all, only late (a queue grew
    /// faster than the RTT estimate), as its echoed timestamp shows (Eifel detection, RFC 3522).
    /// A spurious timeout is undone (the Eifel response, RFC 4015).
    func onTimeoutVerdict(spurious: Bool, now: UInt64)
}

extension CongestionController {
    public var pacingRate: Double? { nil }
    public var phase: CongestionPhase? { nil }
}

/// Which congestion controller a sender uses (`rudp-send --cc`).
public enum CongestionAlgorithm: String, CaseIterable, Sendable {
    /// The fixed textbook window: no congestion control at all.
    case none
    /// NewReno AIMD with slow start (RFC 5681, RFC 6582, RFC 9002 §7).
    case reno
    /// CUBIC (RFC 9438).
    case cubic
    /// BBR: a model of the path (bottleneck bandwidth, minimum RTT), paced (draft-cardwell-iccrg-bbr).
    case bbr

    /// Whether its sender paces (spreads packets at a rate) rather than sending as the window opens.
    public var isPaced: Bool { self == .bbr }

    /// A new controller of this kind for packets of `mss` payload bytes.
    public func makeController(mss: Int) -> CongestionController {
        switch self {
        case .none: FixedWindow()
        case .reno: NewRenoController(mss: mss)
        case .cubic: CubicController(mss: mss)
        case .bbr: BBRController(mss: mss)
        }
    }
}
