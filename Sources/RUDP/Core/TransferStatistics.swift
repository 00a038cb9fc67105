/// Counters a sender keeps about its transfer.
public struct SenderStatistics: Sendable, Equatable {
    /// Datagrams sent of any type.
    public var datagramsSent = 0
    /// DATA packets sent, retransmissions included.
    public var dataPacketsSent = 0
    public var retransmissions = 0
    /// Retransmission-timer expiries (each counts once, however many packets it resent).
    public var timeouts = 0
    /// Packets resent because three later-sent packets were acknowledged first.
    public var fastRetransmits = 0
    public var acksReceived = 0
    /// Keepalives sent while waiting for the application's next bytes.
    public var keepalivesSent = 0
    /// Copies of earlier packets carried in DATA packets (`SenderConfiguration.redundancy`), and their bytes.
    public var redundantCopiesSent = 0
    public var redundantBytesSent: UInt64 = 0
    /// PATH-CHALLENGEs received and answered: the receiver saw this sender from a new address.
    public var pathChallengesAnswered = 0
    public var bytesAcknowledged: UInt64 = 0
    /// Most DATA packets outstanding (sent, not yet acknowledged) at any moment.
    public var maxInFlight = 0
    /// Largest congestion window, in bytes (0 without congestion control).
    public var maxCongestionWindow = 0
    /// Bytes the SYN carried as early data (0-RTT) that the receiver took: never sent as DATA.
    public var earlyDataBytesTaken = 0
    public var rtt = RTTSummary()

    public init() {}
}

/// Counters a receiver keeps about its transfer.
public struct ReceiverStatistics: Sendable, Equatable {
    public var datagramsReceived = 0
    public var dataPacketsReceived = 0
    public var duplicates = 0
    /// Packets that arrived ahead of a gap (buffered by SR, discarded by GBN).
    public var outOfOrder = 0
    /// Packets dropped: beyond the window, or out of order under Go-Back-N.
    public var discarded = 0
    /// Redundant copies that brought a packet before the packet itself (a loss repaired without
    /// a round trip), and copies of packets already held.
    public var recoveredFromCopies = 0
    public var unusedCopies = 0
    public var acksSent = 0
    public var bytesDelivered: UInt64 = 0
    /// Bytes that came as a SYN's early data (0-RTT) and joined the stream as its first packet.
    public var earlyDataBytes = 0

    public init() {}
}
