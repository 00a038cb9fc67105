/// Everything a sender needs to start a transfer; random values are supplied by the caller so
/// the state machine stays deterministic.
public struct SenderConfiguration: Sendable {
    public var mode: TransferMode
    /// Payload bytes per DATA packet.
    public var mss: Int
    /// Packets in flight (ignored by stop-and-wait, which is window 1).
    public var window: Int
    public var retransmission: RetransmissionTimer.Policy
    public var initialRTO = RetransmissionTimer.defaultInitial
    public var minimumRTO = RetransmissionTimer.defaultMinimum
    public var maximumRTO = RetransmissionTimer.defaultMaximum
    /// Consecutive timeouts of the same packet tolerated before giving up.
    public var maxRetries: Int
    /// A packet is deemed lost once a packet sent this many transmissions later is acknowledged
    /// (Selective Repeat fast retransmit, RFC 9002's packet threshold).
    public var fastRetransmitThreshold = 3
    /// With nothing in flight and the application slow to write (a pipe), a keepalive goes out
    /// after this long without sending, so the receiver does not give the transfer up as idle.
    public var keepaliveInterval: UInt64 = 250_000_000
    /// Copies of the ACK that answers the FIN-ACK, sent together: the receiver stops lingering
    /// on the first. A sender exits at once, so it cannot repeat one later; three make a
    /// receiver that waits for one (`rudp-recv --once`) linger the whole FIN retry budget only
    /// when all three are lost (0.1 % at 10 % random loss).
    public var closeAcknowledgements = 3
    public var connectionID: UInt32
    /// The SYN's sequence number; DATA starts one after it.
    public var initialSequence: UInt32
    /// What holds the sender below its window when the path is slower: nothing (the textbook
    /// fixed window) or a congestion controller.
    public var congestionControl: CongestionAlgorithm = .none
    /// How the receiver should hand data over: in order (a file) or each message as it arrives.
    public var delivery: DeliveryOrder = .ordered
    /// Earlier packets, still unacknowledged, that each DATA packet also carries where the MSS
    /// leaves room (RFC 2198-style redundancy for small messages; 0 = off). Selective Repeat only.
    public var redundancy = 0
    /// Whether the sender answers the receiver's path challenges, so that the transfer survives
    /// a change of the sender's address (a NAT rebinding). Announced in the SYN (flag bit 5).
    public var answersPathChallenges = true
    /// 0-RTT: the first packet, if the application completed it (`writeMessage`, or `write` and
    /// `finishWriting`) before the SYN first goes out, rides in the SYN; the receiver may hand it
    /// to its application at once (as replayable data) and answer in its SYN-ACK (`Sender.response`).
    public var sendsEarlyData = false
    /// Address-validation tokens: nil takes none; otherwise the SYN presents this token (empty:
    /// none yet) and asks for a new one (`Sender.addressToken`), which lets a receiver that
    /// minted it answer more than three times the SYN's size.
    public var addressToken: [UInt8]?
    public var fileName: [UInt8]
    /// Size in bytes if known in advance (nil for standard input).
    public var fileSize: UInt64?

    public static let maxWindow = 16_384

    public init(mode: TransferMode = .selectiveRepeat, mss: Int = 1200, window: Int = 64,
                retransmission: RetransmissionTimer.Policy = .adaptive, maxRetries: Int = 10,
                connectionID: UInt32, initialSequence: UInt32, fileName: [UInt8], fileSize: UInt64?) {
        self.mode = mode
        self.mss = mss
        self.window = window
        self.retransmission = retransmission
        self.maxRetries = maxRetries
        self.connectionID = connectionID
        self.initialSequence = initialSequence
        self.fileName = fileName
        self.fileSize = fileSize
    }

    /// The window the mode actually uses: 1 for stop-and-wait.
    public var effectiveWindow: Int {
        mode == .stopAndWait ? 1 : Swift.min(Swift.max(window, 1), Self.maxWindow)
    }

    /// What the SYN announces of the sender's patience: `maxRetries`, and the longest timeout
    /// (the backoff's cap; a fixed timeout itself, which never backs off).
    public var retryBudget: RetryBudget {
        switch retransmission {
        case .adaptive: RetryBudget(retries: maxRetries, largestTimeout: Swift.max(maximumRTO, minimumRTO))
        case .fixed(let timeout): RetryBudget(retries: maxRetries, largestTimeout: timeout)
        }
    }

    /// The redundancy the mode uses: copies need a receiver that keeps out-of-order packets.
    public var effectiveRedundancy: Int {
        mode == .selectiveRepeat ? Swift.min(Swift.max(redundancy, 0), RedundantPayload.maxCopies) : 0
    }

    /// The MSS clamped to what a datagram can carry.
    public var effectiveMSS: Int { Swift.min(Swift.max(mss, 1), Int(UInt16.max), WireLayout.maxPayload) }
}
