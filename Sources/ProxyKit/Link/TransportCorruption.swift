import Impairment

/// The TUN link's corruption stage: with probability P it flips one bit chosen uniformly among
/// the bits of the packet's transport payload (see `TransportPayload`), never a header bit.
///
/// The engine's own corruption stage takes one fixed offset per direction; at the IP layer the
/// headers' length varies per packet (IP options, TCP options, IPv6 extension headers), so the
/// link disables the engine's stage and runs this one just before `submit`, on the stream the
/// engine would use (`corrupt`, derived from the direction's pipeline seed). It takes exactly
/// two draws per packet, the decision and the bit position, whether or not the packet is
/// corrupted or has a payload at all: so which packets are corrupted depends on the seed and
/// their number alone, not on how many pure ACKs came before.
struct TransportCorruption {
    private let probability: Double
    private var random: SeededRandom

    /// A stage flipping a bit with `probability`, drawing from `pipelineSeed`'s `corrupt` stream.
    init(probability: Double, pipelineSeed: UInt64) {
        self.probability = probability
        random = SeededRandom(seed: pipelineSeed, stream: "corrupt")
    }

    /// Decides for the next packet and flips its bit in place; returns whether it did. A packet
    /// without transport payload is left alone (and not counted), like the engine's rule for a
    /// datagram with no byte after the offset.
    mutating func apply(to packet: UnsafeMutableRawBufferPointer) -> Bool {
        let corrupts = random.nextBool(probability: probability)
        let position = random.next()
        guard corrupts else { return false }
        let offset = TransportPayload.offset(in: UnsafeRawBufferPointer(packet))
        let eligibleBits = (packet.count - offset) * 8
        guard eligibleBits > 0 else { return false }
        // The high word of a 64×64-bit product: uniform on 0..<eligibleBits up to a bias of
        // eligibleBits / 2^64, and one draw always (no rejection loop).
        let bit = offset * 8 + Int(position.multipliedFullWidth(by: UInt64(eligibleBits)).high)
        packet[bit >> 3] ^= UInt8(1) << UInt8(bit & 7)
        return true
    }
}
