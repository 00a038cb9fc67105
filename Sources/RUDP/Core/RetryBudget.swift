/// How long a sender keeps retransmitting before it gives up: at most `retries` retransmissions
/// of one packet, each timeout doubled from the one before and never above `largestTimeout`.
/// The SYN announces it, so that the receiver gives a transfer up no sooner than its sender
/// would, and knows how long a FIN may still be retransmitted after it confirmed one.
public struct RetryBudget: Equatable, Sendable {
    /// Retransmissions of one packet (or SYN, or FIN) before the sender gives up: `--max-retries`.
    public var retries: Int
    /// The longest a retransmission timeout can become (the backoff's cap; a fixed `--rto`
    /// itself), in nanoseconds.
    public var largestTimeout: UInt64

    public init(retries: Int, largestTimeout: UInt64) {
        self.retries = max(0, retries)
        self.largestTimeout = largestTimeout
    }

    /// What a sender that announces nothing is taken to do: rudp-send's defaults before it
    /// announced them (10 retries, timeouts backed off to at most 4 s).
    public static let unannounced = RetryBudget(retries: 10, largestTimeout: RetransmissionTimer.defaultMaximum)

    /// How long a receiver may hear nothing from a sender that is still trying, whatever the
    /// sender's current timeout: (retries + 2) × the largest. The packet that fails is
    /// retransmitted `retries` times, each at most one largest timeout after the one before;
    /// its first transmission may follow the last packet the receiver heard by a round trip (it
    /// waited for that packet's ACK), and its last retransmission takes a one-way delay to
    /// arrive: two more timeouts cover both while a timeout is at least three quarters of a
    /// round trip, as any timeout that does not fire on every packet is.
    public var silence: UInt64 {
        let (product, overflow) = UInt64(retries + 2).multipliedReportingOverflow(by: largestTimeout)
        return overflow ? .max : product
    }

    /// How long after sending a packet with retransmission timeout `timeout` the sender may
    /// still be retransmitting it: the timeouts of its transmissions, each double the one
    /// before up to the cap. (Assumes the packet was sent for the first time: the receiver
    /// cannot tell a retransmission from the original.)
    public func patience(from timeout: UInt64) -> UInt64 {
        let cap = max(largestTimeout, 1)
        var current = min(max(timeout, 1), cap)
        var total: UInt64 = 0
        var transmissions = retries + 1
        while transmissions > 0 && current < cap {
            total += current
            current = min(current * 2, cap)
            transmissions -= 1
        }
        let (rest, overflow) = UInt64(transmissions).multipliedReportingOverflow(by: cap)
        let (sum, overflowAgain) = total.addingReportingOverflow(rest)
        return overflow || overflowAgain ? .max : sum
    }
}
