/// One congestion event per round trip: losses of packets sent before the window was last
/// reduced belong to the event that reduced it (RFC 6582's recovery, RFC 9002 §7.3.2).
struct LossRecovery {
    /// When the current recovery period started; packets sent before it end no new one.
    private(set) var start: UInt64?
    /// Whether no packet sent after `start` has been acknowledged yet (the period still runs).
    private(set) var isOpen = false

    /// Whether a loss of a packet sent at `sentTime` starts a new congestion event (and, if so,
    /// enters recovery at `now`).
    mutating func beginsEvent(lostPacketSentAt sentTime: UInt64, now: UInt64) -> Bool {
        if let start, sentTime <= start { return false }
        start = now
        isOpen = true
        return true
    }

    /// Whether an acknowledgement of a packet sent at `sentTime` falls inside the recovery
    /// period, where the window does not grow; one sent after it ends the period.
    mutating func isRecovering(ackedPacketSentAt sentTime: UInt64) -> Bool {
        guard let start, sentTime <= start else {
            isOpen = false
            return false
        }
        return true
    }

    /// A timeout ends recovery: everything after it is a fresh start.
    mutating func restart(at now: UInt64) {
        start = now
        isOpen = true
    }
}
