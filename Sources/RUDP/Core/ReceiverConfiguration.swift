/// Limits and timers of a receiving endpoint; random values are supplied by the caller.
public struct ReceiverConfiguration: Sendable {
    /// Largest window granted, in packets: with the default MSS, 19.7 MB, a little more than
    /// 1 Gbit/s × 100 ms holds (still within `maxBufferBytes`; the endpoint bounds the sum).
    public var maxWindow = 16_384
    /// Largest MSS granted.
    public var maxMSS = WireLayout.maxPayload
    /// Upper bound of window × MSS: the reassembly memory one connection may hold.
    public var maxBufferBytes = 32 << 20
    /// A connection with no packet from the sender for this long fails; with
    /// `idleTimeoutFollowsSender`, the least it waits.
    public var idleTimeout: UInt64 = 10_000_000_000
    /// Whether a sender that announced its retry budget in its SYN is waited for as long as it
    /// keeps retransmitting (`RetryBudget.silence`, within `maximumIdleTimeout`), so that the
    /// receiver never gives a transfer up while its sender still tries. False: `idleTimeout`
    /// exactly, as the user asked.
    public var idleTimeoutFollowsSender = true
    /// The most an announced retry budget buys a sender of the receiver's patience (the idle
    /// timeout, and the linger of `lingersUntilSenderGivesUp`).
    public var maximumIdleTimeout: UInt64 = 600_000_000_000
    /// Whether a confirmed connection lingers until its sender has given up retransmitting its
    /// FIN (or acknowledged the FIN-ACK), rather than `lingerMultiple` of its timeouts: for a
    /// receiver that exits after the transfer (`rudp-recv --once`), which cannot leave late FINs
    /// to the endpoint's memory of confirmed transfers.
    public var lingersUntilSenderGivesUp = false
    /// How long to stay answering retransmitted FINs (or with RST after a failure), as a multiple
    /// of the sender's announced retransmission timeout, within the bounds below.
    /// Eight covers two FINs lost in a row: the sender resends after 1, then 2, then 4 RTOs.
    public var lingerMultiple: UInt64 = 8
    public var minimumLinger: UInt64 = 250_000_000
    public var maximumLinger: UInt64 = 30_000_000_000
    /// Linger when the sender announced no timeout (a failure before the FIN).
    public var defaultLinger: UInt64 = 3_000_000_000
    /// DATA packets of a sender's first flight (sent behind its SYN, before the SYN-ACK) held
    /// until its address is proved; a congestion-controlled sender sends its initial window, 10.
    public var firstFlightPackets = 16
    /// Whether a SYN's early data (0-RTT) is taken as the stream's first packet; if not, the
    /// sender sends it again as DATA after the SYN-ACK.
    public var takesEarlyData = true
    /// In-order DATA packets acknowledged together (bounded to a quarter of the window).
    public var ackFrequency = 16
    /// Longest an in-order packet waits for its delayed acknowledgement.
    public var maxAckDelay: UInt64 = 2_000_000
    /// The receiver's own sequence number (it sends no data; it only makes replies less guessable).
    public var initialSequence: UInt32

    public init(initialSequence: UInt32) {
        self.initialSequence = initialSequence
    }
}
