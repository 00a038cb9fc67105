import Testing

@testable import ProxyKit

/// `lossproxy link --rebind`: A's UDP and TCP source ports move every interval, B's answers to
/// the current mapping find their way back, answers to an earlier one are dropped, and every
/// checksum stays right.
@Suite struct LinkRebindTests {
    static let ms: UInt64 = 1_000_000

    /// The one's-complement sum of the IPv4 pseudo-header and the transport segment of `packet`:
    /// 0xFFFF when the transport checksum is right.
    static func checksumSum(_ packet: [UInt8]) -> UInt16 {
        let headerLength = Int(packet[0] & 0x0F) * 4
        let segment = Array(packet[headerLength...])
        var words = Array(packet[12..<20]) + [0, packet[9], UInt8(segment.count >> 8), UInt8(segment.count & 0xFF)] + segment
        if words.count % 2 == 1 { words.append(0) }
        var sum: UInt32 = 0
        for index in stride(from: 0, to: words.count, by: 2) { sum += UInt32(words[index]) << 8 | UInt32(words[index + 1]) }
        while sum > 0xFFFF { sum = (sum & 0xFFFF) + (sum >> 16) }
        return UInt16(sum)
    }

    /// An IPv4 packet of `protocol` from A's `source` port to B's `destination` port, checksum set.
    static func packet(protocol number: UInt8, source: UInt16, destination: UInt16) -> [UInt8] {
        var transport = number == TransportPayload.tcp ? TestPackets.tcp(payload: TestPackets.payload(33))
                                                       : TestPackets.udp(payload: TestPackets.payload(33))
        transport[0...3] = [UInt8(source >> 8), UInt8(source & 0xFF), UInt8(destination >> 8), UInt8(destination & 0xFF)]
        let at = number == TransportPayload.tcp ? 16 : 6
        transport[at] = 0
        transport[at + 1] = 0
        var packet = TestPackets.ipv4(protocol: number, transport: transport)
        let checksum = ~checksumSum(packet)
        packet[20 + at] = UInt8(checksum >> 8)
        packet[20 + at + 1] = UInt8(checksum & 0xFF)
        #expect(checksumSum(packet) == 0xFFFF)
        return packet
    }

    static func ports(_ packet: [UInt8]) -> (source: UInt16, destination: UInt16) {
        (UInt16(packet[20]) << 8 | UInt16(packet[21]), UInt16(packet[22]) << 8 | UInt16(packet[23]))
    }

    static func fromA(_ packet: [UInt8], _ rebinding: inout PortRebinding) -> [UInt8] {
        var copy = packet
        copy.withUnsafeMutableBytes { rebinding.rewriteFromA($0) }
        return copy
    }

    static func fromB(_ packet: [UInt8], _ rebinding: inout PortRebinding) -> [UInt8]? {
        var copy = packet
        return copy.withUnsafeMutableBytes { rebinding.rewriteFromB($0) } ? copy : nil
    }

    @Test(arguments: [TransportPayload.udp, TransportPayload.tcp])
    func portsMoveEachIntervalWithTheirChecksumsFixed(protocolNumber: UInt8) throws {
        var rebinding = PortRebinding(interval: 200 * Self.ms)
        let request = Self.packet(protocol: protocolNumber, source: 40_000, destination: 9_000)
        #expect(Self.fromA(request, &rebinding) == request, "nothing moves before the first interval ends")

        var seen: Set<UInt16> = [40_000]
        for epoch in UInt64(1)...5 {
            rebinding.advance(elapsed: epoch * 200 * Self.ms + 1)
            let moved = Self.fromA(request, &rebinding)
            let source = Self.ports(moved).source
            #expect(!seen.contains(source), "epoch \(epoch) gives a port never used before")
            seen.insert(source)
            #expect(Self.ports(moved).destination == 9_000)
            #expect(Self.checksumSum(moved) == 0xFFFF, "the \(protocolNumber) checksum is fixed")
            // B answers the port it sees: A gets it on its own port, checksum right.
            let answer = Self.packet(protocol: protocolNumber, source: 9_000, destination: source)
            let back = try #require(Self.fromB(answer, &rebinding))
            #expect(Self.ports(back).destination == 40_000)
            #expect(Self.checksumSum(back) == 0xFFFF)
        }
        #expect(rebinding.rebinds == 5)
        // An answer to an earlier mapping is dropped, as a NAT drops what it no longer maps.
        let previous = rebinding.translated(40_000, epoch: rebinding.epoch - 1)
        #expect(Self.fromB(Self.packet(protocol: protocolNumber, source: 9_000, destination: previous), &rebinding) == nil)
        #expect(rebinding.droppedForOldMappings == 1)
    }

    @Test func aUDPChecksumOfZeroStaysZeroAndOtherPacketsPassUnchanged() {
        var rebinding = PortRebinding(interval: 100 * Self.ms)
        rebinding.advance(elapsed: 150 * Self.ms)
        var unchecked = Self.packet(protocol: TransportPayload.udp, source: 40_000, destination: 9_000)
        unchecked[26] = 0
        unchecked[27] = 0
        let moved = Self.fromA(unchecked, &rebinding)
        #expect(Self.ports(moved).source != 40_000)
        #expect(moved[26] == 0 && moved[27] == 0)
        let icmp = TestPackets.ipv4(protocol: TransportPayload.icmp, transport: TestPackets.payload(16))
        #expect(Self.fromA(icmp, &rebinding) == icmp)
        let fragment = TestPackets.ipv4(protocol: TransportPayload.udp, fragmentOffset: 100, transport: TestPackets.payload(16))
        #expect(Self.fromA(fragment, &rebinding) == fragment)
    }
}
