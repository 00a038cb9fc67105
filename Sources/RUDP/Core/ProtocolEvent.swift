/// Something a sender or receiver did, reported to an optional observer (for `--trace` files
/// and time-sequence diagrams). Sequence positions are packet indices from the first DATA
/// packet (0, 1, 2, …), which never wrap, as a time-sequence graph wants them.
public enum ProtocolEvent: Sendable, Equatable {
    /// A DATA packet left the sender (`retransmission` if it had gone before).
    case sent(index: UInt64, bytes: Int, retransmission: Bool)
    /// An ACK arrived: everything below `cumulative` is acknowledged; `sackBlocks` ranges above
    /// it were reported; the receiver's window ends at `windowEdge`.
    case acknowledged(cumulative: UInt64, sackBlocks: Int, windowEdge: UInt64)
    /// The retransmission timer expired for `index` (the oldest outstanding packet under GBN).
    case timeout(index: UInt64, rto: UInt64)
    /// A packet was queued for an early resend, before its timer: packets sent after it (the
    /// fast-retransmit threshold of them) were acknowledged, or one sent a reordering window
    /// later was (the time threshold, as RACK does). Selective Repeat only.
    case fastRetransmit(index: UInt64)
    /// The retransmission timeout changed (a new RTT sample, or backoff).
    case rtoChanged(rto: UInt64, smoothedRTT: UInt64?)
    /// A DATA packet reached the receiver.
    case received(index: UInt64, duplicate: Bool, outOfOrder: Bool)
    /// The receiver sent an ACK.
    case ackSent(cumulative: UInt64, sackBlocks: Int, window: UInt32)
    /// The sender's congestion controller: its window, threshold, pacing rate and phase. Only
    /// a sender with a controller (not `--cc none`) reports it, sampled on acknowledgements
    /// (`CongestionReportSchedule`), at each change of phase and on every loss or timeout reaction.
    case congestion(CongestionReport)
}

/// Receives protocol events with the time (the state machine's `now`) they happened at.
public typealias ProtocolEventObserver = (_ now: UInt64, _ event: ProtocolEvent) -> Void
