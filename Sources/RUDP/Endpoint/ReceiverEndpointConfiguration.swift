/// The bounds and timers of a `ReceiverEndpoint` (docs/SECURITY.md explains each).
public struct ReceiverEndpointConfiguration: Sendable {
    /// What each connection's `Receiver` is given; its initial sequence number is drawn per
    /// connection and its buffer grant is cut to the memory left.
    public var receiver: ReceiverConfiguration
    /// Established connections at most.
    public var maxConnections = 1_024
    /// Handshakes in progress at most (each holds a few kilobytes: no file, no buffer).
    public var maxHalfOpenConnections = 4_096
    /// Established transfers one host (an IPv4 address, an IPv6 /64) may hold at most.
    public var maxConnectionsPerHost = 64
    /// The part of `memoryBudget` one host may hold: enough for a dozen full windows, and
    /// hosts behind one NAT share it. Beyond it a host's new transfers get smaller windows,
    /// then "busy"; other hosts are not affected.
    public var hostMemoryShare = 0.25
    /// First-flight DATA held for senders whose address is not yet proved, all connections
    /// together (each holds at most `receiver.firstFlightPackets`); beyond it the packets are
    /// dropped, and their senders resend them after the handshake.
    public var firstFlightBudget = 8 << 20
    /// Reassembly memory of all connections together (each is also bounded by `receiver.maxBufferBytes`).
    public var memoryBudget = 1 << 30
    /// A half-open connection with nothing from its peer for this long (or the receiver's idle
    /// timeout, if shorter) is forgotten. A real sender resends its SYN well within it.
    public var halfOpenTimeout: UInt64 = 5_000_000_000
    /// How many confirmed transfers, and for how long, are remembered after their connections
    /// end, to confirm a FIN retransmitted that late (see CompletedTransfers).
    public var completedTransfersRemembered = 16_384
    public var completedTransferHorizon: UInt64 = 300_000_000_000
    /// An address that has not proved it receives our packets is sent at most this many times
    /// the bytes received from it (RFC 9000 §8).
    public var amplificationFactor = 3
    /// A new address of a connection's peer that keeps sending without echoing its path
    /// challenge is challenged again after this long (the challenge or its echo was lost).
    public var pathChallengeInterval: UInt64 = 100_000_000
    /// How long an address-validation token handed out in a SYN-ACK stays valid.
    public var addressTokenLifetime: UInt64 = 3_600_000_000_000
    /// Tokens taken and not yet expired that are remembered, so each is taken once; when full,
    /// further tokens are refused (the limit of three times applies) until some expire.
    public var addressTokensRemembered = 16_384
    /// Whether `handle` hands back the payload of an in-order DATA packet of a validated
    /// connection instead of buffering it (`Receiver.handleDeliveringInOrder`): saves a copy
    /// for a driver that consumes it at once.
    public var deliversInOrderDirectly = true
    /// Stateless replies (RSTs, late FIN-ACKs) waiting for `pollTransmit` at most; more are
    /// dropped, as a full socket buffer would drop them.
    public var maxQueuedReplies = 1_024

    public init(receiver: ReceiverConfiguration = ReceiverConfiguration(initialSequence: 0)) {
        self.receiver = receiver
    }
}
