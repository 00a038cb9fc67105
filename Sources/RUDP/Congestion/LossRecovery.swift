/// One congestion event per round trip: losses of packets sent before the window was last
/// reduced belong to the event that reduced it (RFC 6582's recovery, RFC 9002 §7.3.2).
struct LossRecovery {
    /// When the current recovery period started; packets sent before it end no new one.
    private(set) var start: UInt64?

    /// Whether a loss of a packet sent at `sentTime` starts a new congestion event (and, if so,
    /// enters recovery at `now`).
    mutating func beginsEvent(lostPacketSentAt sentTime: UInt64, now: UInt64) -> Bool {
        if let start, sentTime <= start { return false }
        start = now
        return true
    }

    /// Whether an acknowledgement of a packet sent at `sentTime` falls inside the recovery
    /// period, where the window does not grow.
    func isRecovering(ackedPacketSentAt sentTime: UInt64) -> Bool {
        guard let start else { return false }
        return sentTime <= start
    }

    /// A timeout ends recovery: everything after it is a fresh start.
    mutating func restart(at now: UInt64) {
        start = now
    }
}
