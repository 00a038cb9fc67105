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
    /// (counted from the start of the datagram) to flip; nil for no corruption, including when
    /// the datagram has no byte at or after the offset.
    mutating func nextBitToFlip(length: Int) -> Int? {
        guard random.nextBool(probability: probability) else { return nil }
        let eligibleBits = (length - offset) * 8
        guard eligibleBits > 0 else { return nil }
        return offset * 8 + Int(random.nextBelow(UInt64(eligibleBits)))
    }

    /// Flips bit `bit` (bit 0 = least significant bit of byte 0) of the buffer.
    static func flip(bit: Int, in bytes: UnsafeMutableRawPointer) {
        let byte = bytes.load(fromByteOffset: bit >> 3, as: UInt8.self)
        bytes.storeBytes(of: byte ^ (1 << UInt8(bit & 7)), toByteOffset: bit >> 3, as: UInt8.self)
    }
}
