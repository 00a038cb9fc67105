/// Flips one uniformly chosen bit of a datagram, at or after a byte offset.
struct Corruption {
    private let probability: Double
    private let offset: Int
    private var random: SeededRandom

    init(probability: Double, offset: Int, random: SeededRandom) {
        self.probability = probability
        self.offset = offset
        self.random = random
    }

    /// Decides whether the next datagram, of `length` bytes, is corrupted, and which bit
    /// (counted from the start of the datagram) to flip, sparing its first `offset` bytes
    /// (nil: the configured offset); nil for no corruption, including when the datagram has
    /// no byte at or after the offset. A datagram chosen for corruption takes a position draw
    /// even then, so which datagrams are chosen depends on the seed and their number alone,
    /// not on the lengths of the ones before.
    mutating func nextBitToFlip(length: Int, offset: Int? = nil) -> Int? {
        guard random.nextBool(probability: probability) else { return nil }
        let offset = offset ?? self.offset
        let eligibleBits = (length - offset) * 8
        guard eligibleBits > 0 else {
            _ = random.next()
            return nil
        }
        return offset * 8 + Int(random.nextBelow(UInt64(eligibleBits)))
    }

    /// Flips bit `bit` (bit 0 = least significant bit of byte 0) of the buffer.
    static func flip(bit: Int, in bytes: UnsafeMutableRawPointer) {
        let byte = bytes.load(fromByteOffset: bit >> 3, as: UInt8.self)
        bytes.storeBytes(of: byte ^ (1 << UInt8(bit & 7)), toByteOffset: bit >> 3, as: UInt8.self)
    }
}
