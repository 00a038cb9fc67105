import RUDP
import Testing

/// The CPU-instruction paths (SHA extensions, SSE4.2 crc32) agree with the portable Swift code.
@Suite struct ChecksumHardwareTests {
    static func randomBytes(_ count: Int, seed: UInt64) -> [UInt8] {
        var state = seed | 1
        return (0..<count).map { _ in
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return UInt8(truncatingIfNeeded: state)
        }
    }

    @Test func sha256FastPathMatchesThePortableOne() {
        print("SHA-256 instructions: \(SHA256.hardwareAvailable ? "used" : "not available on this CPU (portable path only)")")
        for length in [0, 1, 55, 56, 63, 64, 65, 127, 128, 1000, 4096, 100_003] {
            let bytes = Self.randomBytes(length, seed: UInt64(length) + 7)
            var fast = SHA256()
            var portable = SHA256(portableOnly: true)
            // Uneven pieces so blocks straddle calls.
            var offset = 0
            var piece = 1
            while offset < bytes.count {
                let end = min(bytes.count, offset + piece)
                fast.update(bytes[offset..<end])
                portable.update(bytes[offset..<end])
                offset = end
                piece = piece * 3 + 1
            }
            #expect(fast.finalize() == portable.finalize(), "length \(length)")
        }
    }

    /// Lengths around the interleaved lanes' rounds (3 × 128 and 3 × 408 bytes) and past them.
    @Test func crc32cFastPathMatchesThePortableOne() {
        print("CRC32C instruction: \(CRC32C.usesHardware ? "used" : "not available on this CPU (portable path only)")")
        for length in [0, 1, 7, 8, 9, 15, 16, 17, 383, 384, 385, 767, 1223, 1224, 1225, 1236, 1608, 1609, 4_000, 65_536] {
            let bytes = Self.randomBytes(length, seed: UInt64(length) * 31 + 1)
            bytes.withUnsafeBytes { raw in
                #expect(CRC32C.update(0x1234_5678, raw) == CRC32C.portableUpdate(0x1234_5678, raw), "length \(length)")
                #expect(CRC32C.checksum(raw) == CRC32C.portableUpdate(0, raw))
            }
        }
    }
}
