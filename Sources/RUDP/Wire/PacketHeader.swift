/// The fixed 32-byte header every RUDP packet starts with.
public struct PacketHeader: Equatable, Sendable {
    public var type: PacketType
    public var flags: UInt8
    /// Random identifier the sender picks for the connection; demultiplexes transfers at the receiver.
    public var connectionID: UInt32
    public var sequence: SequenceNumber
    /// Cumulative acknowledgement: the next sequence number the receiver expects.
    public var acknowledgement: SequenceNumber
    /// Receive window in packets: the receiver accepts sequence numbers in [acknowledgement, acknowledgement + window).
    public var window: UInt32
    /// The sender's clock in microseconds (mod 2^32); 0 means "no timestamp".
    public var timestamp: UInt32
    /// The most recent timestamp received from the peer, echoed for RTT measurement; 0 means none.
    public var timestampEcho: UInt32

    public init(type: PacketType, flags: UInt8 = 0, connectionID: UInt32, sequence: SequenceNumber = SequenceNumber(0),
                acknowledgement: SequenceNumber = SequenceNumber(0), window: UInt32 = 0,
                timestamp: UInt32 = 0, timestampEcho: UInt32 = 0) {
        self.type = type
        self.flags = flags
        self.connectionID = connectionID
        self.sequence = sequence
        self.acknowledgement = acknowledgement
        self.window = window
        self.timestamp = timestamp
        self.timestampEcho = timestampEcho
    }
}

/// A selective acknowledgement: packets with sequence numbers in [start, end) have arrived.
public struct SackBlock: Equatable, Sendable {
    public var start: SequenceNumber
    public var end: SequenceNumber

    public init(start: SequenceNumber, end: SequenceNumber) {
        self.start = start
        self.end = end
    }
}
