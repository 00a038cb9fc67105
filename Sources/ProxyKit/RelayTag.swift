/// The tag a datagram carries through the relay's impairment pipelines: which client it
/// belongs to (slot and generation, so that a datagram held for a client that expired is
/// recognised) and which server port it goes to or came from (the reply port to follow).
///
/// Layout: generation (24 bits) · server port (16 bits) · slot (24 bits).
enum RelayTag {
    /// Generations wrap here: a slot is reused 16 million times before a tag repeats.
    static let generationLimit: UInt32 = 1 << 24

    @inline(__always)
    static func make(slot: Int, generation: UInt32, serverPort: UInt16) -> UInt64 {
        UInt64(generation & (generationLimit - 1)) << 40 | UInt64(serverPort) << 24 | UInt64(slot & 0xFF_FFFF)
    }

    @inline(__always)
    static func slot(_ tag: UInt64) -> Int { Int(tag & 0xFF_FFFF) }

    @inline(__always)
    static func generation(_ tag: UInt64) -> UInt32 { UInt32(tag >> 40) }

    @inline(__always)
    static func serverPort(_ tag: UInt64) -> UInt16 { UInt16(truncatingIfNeeded: tag >> 24) }
}
