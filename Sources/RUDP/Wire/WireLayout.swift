/// Byte offsets and sizes of the RUDP packet format, named once (see docs/PROTOCOL.md).
public enum WireLayout {
    public static let version: UInt8 = 1

    public static let versionOffset = 0
    public static let typeOffset = 1
    public static let flagsOffset = 2
    public static let sackCountOffset = 3
    public static let connectionIDOffset = 4
    public static let sequenceOffset = 8
    public static let acknowledgementOffset = 12
    public static let windowOffset = 16
    public static let timestampOffset = 20
    public static let timestampEchoOffset = 24
    public static let payloadLengthOffset = 28
    public static let reservedOffset = 30
    /// Size of the fixed header; SACK blocks follow it, then the payload, then the CRC.
    public static let headerSize = 32
    public static let sackBlockSize = 8
    public static let checksumSize = 4
    public static let maxSackBlocks = 32
    /// Fixed header plus checksum: the bytes every packet spends besides SACK blocks and payload.
    public static let overhead = headerSize + checksumSize
    /// Largest payload a datagram may carry (the IPv4 UDP maximum less our overhead).
    public static let maxPayload = 65_507 - overhead
}

/// The kind of an RUDP packet (byte 1 of the header).
public enum PacketType: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    case syn = 1
    case synAck = 2
    case data = 3
    case ack = 4
    case fin = 5
    case finAck = 6
    case reset = 7
    /// Receiver → sender, to an address the connection's packets newly come from: echo these 8 bytes.
    case pathChallenge = 9
    /// Sender → receiver: the 8 bytes of a PATH-CHALLENGE, from the address that received it.
    case pathResponse = 10

    public var description: String {
        switch self {
        case .syn: "SYN"
        case .synAck: "SYN-ACK"
        case .data: "DATA"
        case .ack: "ACK"
        case .fin: "FIN"
        case .finAck: "FIN-ACK"
        case .reset: "RST"
        case .pathChallenge: "PATH-CHALLENGE"
        case .pathResponse: "PATH-RESPONSE"
        }
    }
}

/// Bits of the header's flags byte.
public enum PacketFlags {
    /// DATA: acknowledge this packet at once rather than delaying the ACK (the sender has
    /// nothing more in the pipe, or this is a retransmission).
    public static let acknowledgeNow: UInt8 = 0x01
    /// DATA: the payload carries copies of earlier packets before its own bytes
    /// (`RedundantPayload`); the receiver takes each copy as that packet's arrival.
    public static let redundant: UInt8 = 0x02
}
