import Impairment
import Testing

@testable import ProxyKit

/// Builds IP packets for the link's packet-level tests (checksums are not needed: nothing
/// here looks at them).
enum TestPackets {
    /// An IPv4 packet: `optionWords` 4-byte words of IP options, then `transport` (a transport
    /// header and payload) for `protocol`.
    static func ipv4(protocol number: UInt8, optionWords: Int = 0, fragmentOffset: Int = 0, transport: [UInt8]) -> [UInt8] {
        let headerLength = 20 + optionWords * 4
        var packet = [UInt8](repeating: 0, count: headerLength)
        packet[0] = 0x40 | UInt8(headerLength / 4)
        let total = headerLength + transport.count
        packet[2] = UInt8(total >> 8)
        packet[3] = UInt8(total & 0xFF)
        packet[6] = UInt8((fragmentOffset >> 8) & 0x1F)
        packet[7] = UInt8(fragmentOffset & 0xFF)
        packet[8] = 64
        packet[9] = number
        packet[12...15] = [10, 77, 0, 1]
        packet[16...19] = [10, 77, 0, 2]
        return packet + transport
    }

    /// An IPv6 packet whose first next-header is `next`, followed by `rest` (extension headers,
    /// transport header, payload).
    static func ipv6(next: UInt8, rest: [UInt8]) -> [UInt8] {
        var packet = [UInt8](repeating: 0, count: 40)
        packet[0] = 0x60
        packet[4] = UInt8(rest.count >> 8)
        packet[5] = UInt8(rest.count & 0xFF)
        packet[6] = next
        packet[7] = 64
        return packet + rest
    }

    /// A TCP header of `optionWords` extra 4-byte words (data offset 5 + words), then `payload`.
    static func tcp(optionWords: Int = 0, payload: [UInt8]) -> [UInt8] {
        var header = [UInt8](repeating: 0, count: 20 + optionWords * 4)
        header[12] = UInt8((5 + optionWords) << 4)
        header[13] = 0x18  // PSH, ACK
        return header + payload
    }

    /// A UDP header, then `payload`.
    static func udp(payload: [UInt8]) -> [UInt8] {
        let length = 8 + payload.count
        return [0x23, 0x28, 0x23, 0x29, UInt8(length >> 8), UInt8(length & 0xFF), 0xAB, 0xCD] + payload
    }

    static func payload(_ count: Int) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
    }
}

@Suite("TUN link: transport payload offset")
struct TransportPayloadTests {
    private func offset(_ packet: [UInt8]) -> Int {
        packet.withUnsafeBytes { TransportPayload.offset(in: $0) }
    }

    @Test("IPv4: after the IP header with options and the TCP header with options")
    func ipv4TCP() {
        #expect(offset(TestPackets.ipv4(protocol: 6, transport: TestPackets.tcp(payload: TestPackets.payload(100)))) == 40)
        // 12 bytes of TCP options (timestamps), 8 bytes of IP options.
        let packet = TestPackets.ipv4(
            protocol: 6, optionWords: 2, transport: TestPackets.tcp(optionWords: 3, payload: TestPackets.payload(10)))
        #expect(offset(packet) == 28 + 32)
    }

    @Test("IPv4: UDP, ICMP and unknown protocols")
    func ipv4Others() {
        #expect(offset(TestPackets.ipv4(protocol: 17, transport: TestPackets.udp(payload: TestPackets.payload(5)))) == 28)
        #expect(offset(TestPackets.ipv4(protocol: 1, transport: TestPackets.payload(64))) == 28)
        #expect(offset(TestPackets.ipv4(protocol: 47, transport: TestPackets.payload(64))) == 20)
    }

    @Test("IPv4: a non-first fragment has no transport header")
    func ipv4Fragment() {
        let packet = TestPackets.ipv4(protocol: 17, fragmentOffset: 185, transport: TestPackets.payload(100))
        #expect(offset(packet) == 20)
    }

    @Test("A pure ACK has no payload: the offset is the packet's length")
    func emptyPayload() {
        let packet = TestPackets.ipv4(protocol: 6, transport: TestPackets.tcp(optionWords: 3, payload: []))
        #expect(offset(packet) == packet.count)
    }

    @Test("Truncated or malformed packets: nothing to corrupt")
    func malformed() {
        let full = TestPackets.ipv4(protocol: 6, transport: TestPackets.tcp(payload: TestPackets.payload(4)))
        #expect(offset(Array(full.prefix(30))) == 30)  // TCP header cut short
        #expect(offset(Array(full.prefix(12))) == 12)  // IP header cut short
        var badLength = full
        badLength[0] = 0x43  // IHL 3 words: below the minimum
        #expect(offset(badLength) == badLength.count)
        var badOffset = full
        badOffset[20 + 12] = 0x30  // TCP data offset 3 words
        #expect(offset(badOffset) == badOffset.count)
        #expect(offset([0x20, 1, 2, 3]) == 4)  // not IPv4 or IPv6
        #expect(offset([]) == 0)
    }

    @Test("IPv6: UDP, TCP after extension headers, fragments, no next header")
    func ipv6() {
        #expect(offset(TestPackets.ipv6(next: 17, rest: TestPackets.udp(payload: TestPackets.payload(20)))) == 48)
        // Hop-by-hop (8 bytes), destination options (16 bytes), then TCP with 12 bytes of options.
        var hopByHop = [UInt8](repeating: 0, count: 8)
        hopByHop[0] = 60
        var destination = [UInt8](repeating: 0, count: 16)
        destination[0] = 6
        destination[1] = 1
        let chained = TestPackets.ipv6(
            next: 0, rest: hopByHop + destination + TestPackets.tcp(optionWords: 3, payload: TestPackets.payload(9)))
        #expect(offset(chained) == 40 + 8 + 16 + 32)
        // First fragment: transport header follows; later fragment: payload right after it.
        var first = [UInt8](repeating: 0, count: 8)
        first[0] = 17
        first[3] = 1  // more fragments, offset 0
        #expect(offset(TestPackets.ipv6(next: 44, rest: first + TestPackets.udp(payload: TestPackets.payload(8)))) == 56)
        var later = first
        later[2] = 0x00
        later[3] = 0xB9  // offset 23 (×8 bytes), more fragments
        #expect(offset(TestPackets.ipv6(next: 44, rest: later + TestPackets.payload(30))) == 48)
        #expect(offset(TestPackets.ipv6(next: 59, rest: TestPackets.payload(30))) == 70)
        #expect(offset(TestPackets.ipv6(next: 58, rest: TestPackets.payload(30))) == 48)
    }
}

/// The engine's corruption stage as the link drives it: each packet submitted with its payload
/// offset (`submit(ipPacket:now:)`) and taken back out at once.
private struct LinkCorruption {
    let pipeline: ImpairmentPipeline

    init(probability: Double, pipelineSeed: UInt64) {
        var config = ImpairmentConfig()
        config.corrupt = probability
        pipeline = ImpairmentPipeline(config: config, seed: pipelineSeed)
    }

    /// Passes `packet` through the pipeline, replacing it by what comes out; returns whether
    /// the stage corrupted it.
    func apply(to packet: inout [UInt8]) -> Bool {
        let corruptedBefore = pipeline.stats.corrupted
        packet.withUnsafeBytes { pipeline.submit(ipPacket: $0, now: 0) }
        var released: [[UInt8]] = []
        pipeline.releaseDue(now: 0) { bytes, _ in released.append(Array(bytes)) }
        #expect(released.count == 1)
        packet = released.first ?? []
        return pipeline.stats.corrupted > corruptedBefore
    }
}

@Suite("TUN link: corruption of the transport payload only")
struct TransportCorruptionTests {
    @Test("Exactly one bit flips, always inside the payload, across header layouts")
    func flipsOnePayloadBit() {
        let corruption = LinkCorruption(probability: 1, pipelineSeed: 7)
        let packets = [
            TestPackets.ipv4(protocol: 6, optionWords: 1, transport: TestPackets.tcp(optionWords: 3, payload: TestPackets.payload(3))),
            TestPackets.ipv4(protocol: 17, transport: TestPackets.udp(payload: TestPackets.payload(1))),
            TestPackets.ipv6(next: 6, rest: TestPackets.tcp(payload: TestPackets.payload(50))),
        ]
        for original in packets {
            let headerEnd = original.withUnsafeBytes { TransportPayload.offset(in: $0) }
            var positions = Set<Int>()
            for _ in 0..<400 {
                var packet = original
                let flipped = corruption.apply(to: &packet)
                #expect(flipped)
                let differing = zip(original, packet).enumerated().filter { $0.element.0 != $0.element.1 }
                #expect(differing.count == 1)
                guard let (index, (before, after)) = differing.first else { continue }
                #expect(index >= headerEnd, "a header byte changed at \(index)")
                #expect((before ^ after).nonzeroBitCount == 1)
                positions.insert(index * 8 + (before ^ after).trailingZeroBitCount)
            }
            // Uniform over the payload's bits: with 400 draws, a 1-byte payload shows all 8 bits
            // and larger ones show many distinct positions.
            let payloadBits = (original.count - headerEnd) * 8
            #expect(positions.count >= min(payloadBits, 100))
        }
    }

    @Test("A packet without payload is never corrupted, but still takes its draw")
    func noPayload() {
        let ack = TestPackets.ipv4(protocol: 6, transport: TestPackets.tcp(payload: []))
        let data = TestPackets.ipv4(protocol: 17, transport: TestPackets.udp(payload: TestPackets.payload(40)))
        let withAcks = LinkCorruption(probability: 0.5, pipelineSeed: 3)
        let reference = LinkCorruption(probability: 0.5, pipelineSeed: 3)
        var decisions: [Bool] = []
        var referenceDecisions: [Bool] = []
        for index in 0..<200 {
            var packet = index % 2 == 0 ? ack : data
            let flipped = withAcks.apply(to: &packet)
            if index % 2 == 0 {
                #expect(!flipped)
                #expect(packet == ack)
            } else {
                decisions.append(flipped)
            }
            var same = data
            let referenceFlipped = reference.apply(to: &same)
            if index % 2 == 1 { referenceDecisions.append(referenceFlipped) }
        }
        // The Nth packet's decision depends on the seed and N only.
        #expect(decisions == referenceDecisions)
    }

    @Test("Probability and seed: about P of the packets, the same ones for the same seed")
    func probabilityAndSeed() {
        let original = TestPackets.ipv4(protocol: 17, transport: TestPackets.udp(payload: TestPackets.payload(200)))
        func run(seed: UInt64) -> [Int] {
            let corruption = LinkCorruption(probability: 0.2, pipelineSeed: seed)
            return (0..<5000).filter { _ in
                var packet = original
                return corruption.apply(to: &packet)
            }
        }
        let first = run(seed: 11)
        // Binomial(5000, 0.2): mean 1000, sd 28; ±5 sd.
        #expect((860...1140).contains(first.count))
        #expect(run(seed: 11) == first)
        #expect(run(seed: 12) != first)
    }
}
