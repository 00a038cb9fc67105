/// Read-only views of the sender's window and timer, for animations and teaching tools that
/// draw the state machine as it runs (they change nothing).
extension Sender {
    /// The oldest packet not yet acknowledged: the window's left edge (`base` in Kurose-Ross).
    public var windowBase: UInt64 { base }

    /// The next packet never sent (`nextseqnum` in Kurose-Ross).
    public var nextNewPacket: UInt64 { next }

    /// When the retransmission timer of the data (or of the SYN or FIN) expires, or nil when it
    /// is not running. Unlike `nextDeadline`, never a pacing, keepalive or probe deadline.
    public var retransmissionDeadline: UInt64? {
        switch state {
        case .connecting, .closing: nextDeadline
        case .transferring: dataTimerStart.map { $0 + timer.timeout }
        case .finished, .failed: nil
        }
    }
}
