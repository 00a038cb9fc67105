/// Where an IP packet's transport payload begins: after the IPv4 header (options included) or
/// the IPv6 header and its extension headers, and after the TCP (data offset), UDP, ICMP or
/// SCTP common header. The TUN link corrupts only bytes from there on, so that every header
/// and checksum stays as sent and the receiving stack is the one that notices the damage.
///
/// Malformed or truncated packets yield their length: nothing of them is corrupted. A
/// non-first fragment has no transport header, so its payload begins right after the IP header.
enum TransportPayload {
    static let tcp: UInt8 = 6
    static let udp: UInt8 = 17
    static let udpLite: UInt8 = 136
    static let icmp: UInt8 = 1
    static let icmpv6: UInt8 = 58
    static let sctp: UInt8 = 132

    /// The byte offset of the transport payload in `packet`, at most `packet.count`.
    static func offset(in packet: UnsafeRawBufferPointer) -> Int {
        guard let first = packet.first else { return 0 }
        switch first >> 4 {
        case 4: return ipv4Offset(packet)
        case 6: return ipv6Offset(packet)
        default: return packet.count
        }
    }

    private static func ipv4Offset(_ packet: UnsafeRawBufferPointer) -> Int {
        let headerLength = Int(packet[0] & 0x0F) * 4
        guard headerLength >= 20, packet.count >= headerLength else { return packet.count }
        let fragmentOffset = (Int(packet[6] & 0x1F) << 8) | Int(packet[7])
        if fragmentOffset != 0 { return headerLength }
        return transportOffset(protocol: packet[9], at: headerLength, in: packet)
    }

    private static func ipv6Offset(_ packet: UnsafeRawBufferPointer) -> Int {
        guard packet.count >= 40 else { return packet.count }
        var next = packet[6]
        var offset = 40
        // Walk the extension headers; a chain longer than a handful is not a real packet.
        for _ in 0..<8 {
            switch next {
            case 0, 43, 60:  // hop-by-hop, routing, destination options: length in 8-byte units
                guard offset + 2 <= packet.count else { return packet.count }
                next = packet[offset]
                offset += (Int(packet[offset + 1]) + 1) * 8
            case 44:  // fragment
                guard offset + 8 <= packet.count else { return packet.count }
                let fragmentOffset = ((Int(packet[offset + 2]) << 8) | Int(packet[offset + 3])) >> 3
                next = packet[offset]
                offset += 8
                if fragmentOffset != 0 { return offset }
            case 51:  // authentication header: length in 4-byte units, minus 2
                guard offset + 2 <= packet.count else { return packet.count }
                next = packet[offset]
                offset += (Int(packet[offset + 1]) + 2) * 4
            case 59:  // no next header: nothing to corrupt
                return packet.count
            default:
                return transportOffset(protocol: next, at: offset, in: packet)
            }
            if offset > packet.count { return packet.count }
        }
        return packet.count
    }

    /// The end of the transport header of `protocol` starting at `offset`.
    private static func transportOffset(protocol number: UInt8, at offset: Int, in packet: UnsafeRawBufferPointer) -> Int {
        let headerLength: Int
        switch number {
        case tcp:
            guard offset + 13 <= packet.count else { return packet.count }
            headerLength = Int(packet[offset + 12] >> 4) * 4
            guard headerLength >= 20 else { return packet.count }
        case udp, udpLite, icmp, icmpv6:
            headerLength = 8
        case sctp:
            headerLength = 12
        default:
            headerLength = 0
        }
        return min(offset + headerLength, packet.count)
    }
}
