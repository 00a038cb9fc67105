import SystemKit

/// The IPv4 or IPv6 header and UDP header a relayed datagram would have carried on the wire,
/// built so that a capture of UDP payloads (which is all the relay sees) decodes as UDP with
/// the real addresses and ports. Both checksums are computed, so Wireshark flags nothing.
enum SynthesizedUDPHeader {
    /// The headers for `payload` going from `source` to `destination`. Of mixed families
    /// (a dual-stack socket), both are written as IPv6, the IPv4 one as ::ffff:a.b.c.d.
    static func bytes(source: SocketAddress, destination: SocketAddress, payload: UnsafeRawBufferPointer) -> [UInt8] {
        let udpLength = 8 + payload.count
        if source.family == .ipv4 && destination.family == .ipv4 {
            let sourceBytes = source.addressBytes, destinationBytes = destination.addressBytes
            let totalLength = UInt16(truncatingIfNeeded: 20 + udpLength)
            var header: [UInt8] = [0x45, 0, UInt8(totalLength >> 8), UInt8(totalLength & 0xFF),
                                   0, 0, 0x40, 0, 64, 17, 0, 0]
            header += sourceBytes + destinationBytes
            let ipChecksum = ~fold(sum(header))
            header[10] = UInt8(ipChecksum >> 8)
            header[11] = UInt8(ipChecksum & 0xFF)
            let pseudo = sourceBytes + destinationBytes + [0, 17] + bigEndian(UInt16(truncatingIfNeeded: udpLength))
            return header + udp(source: source.port, destination: destination.port, pseudoHeader: pseudo, payload: payload)
        }
        let sourceBytes = ipv6Bytes(source), destinationBytes = ipv6Bytes(destination)
        var header: [UInt8] = [0x60, 0, 0, 0] + bigEndian(UInt16(truncatingIfNeeded: udpLength)) + [17, 64]
        header += sourceBytes + destinationBytes
        let pseudo = sourceBytes + destinationBytes + bigEndian(UInt32(udpLength)) + [0, 0, 0, 17]
        return header + udp(source: source.port, destination: destination.port, pseudoHeader: pseudo, payload: payload)
    }

    private static func udp(source: UInt16, destination: UInt16, pseudoHeader: [UInt8],
                            payload: UnsafeRawBufferPointer) -> [UInt8] {
        var header = bigEndian(source) + bigEndian(destination)
            + bigEndian(UInt16(truncatingIfNeeded: 8 + payload.count)) + [0, 0]
        var checksum = ~fold(sum(pseudoHeader) + sum(header) + sum(payload))
        if checksum == 0 { checksum = 0xFFFF }  // 0 means "no checksum" in UDP
        header[6] = UInt8(checksum >> 8)
        header[7] = UInt8(checksum & 0xFF)
        return header
    }

    private static func ipv6Bytes(_ address: SocketAddress) -> [UInt8] {
        address.family == .ipv6 ? address.addressBytes : [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF] + address.addressBytes
    }

    /// The Internet checksum's sum of 16-bit big-endian words (odd tail padded with zero), unfolded.
    private static func sum<Bytes: Collection>(_ bytes: Bytes) -> UInt64 where Bytes.Element == UInt8 {
        var total: UInt64 = 0
        var high = true
        for byte in bytes {
            total += high ? UInt64(byte) << 8 : UInt64(byte)
            high.toggle()
        }
        return total
    }

    private static func fold(_ sum: UInt64) -> UInt16 {
        var value = sum
        while value >> 16 != 0 { value = (value & 0xFFFF) + (value >> 16) }
        return UInt16(value)
    }

    private static func bigEndian<Value: FixedWidthInteger>(_ value: Value) -> [UInt8] {
        withUnsafeBytes(of: value.bigEndian) { Array($0) }
    }
}
