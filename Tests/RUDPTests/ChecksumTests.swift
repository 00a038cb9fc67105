import RUDP
import Testing

/// SplitMix64: a tiny seeded generator so random splits are the same on every run.
private struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A message whose bytes all differ from their neighbours, so misplaced bytes change the hash.
private func patternBytes(_ count: Int) -> [UInt8] {
    (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }
}

/// Cuts `message` at random points (empty pieces included) and returns the pieces' ranges.
private func randomPieces(of count: Int, using generator: inout SplitMix64) -> [Range<Int>] {
    var pieces: [Range<Int>] = []
    var start = 0
    while start < count {
        let length = Int.random(in: 0...min(count - start, 150), using: &generator)
        pieces.append(start..<start + length)
        start += length
    }
    return pieces
}

@Suite("SHA-256")
struct SHA256Tests {
    // Expected digests from the NIST FIPS 180-4 examples and the NIST CAVP/SHAVS test vectors.
    @Test("NIST example vectors", arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
        ("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
         "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"),
    ])
    func nistVector(message: String, expectedHex: String) {
        #expect(SHA256.hash(Array(message.utf8)).hex == expectedHex)
    }

    @Test("One million 'a' characters")
    func millionA() {
        let expected = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
        #expect(SHA256.hash([UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)).hex == expected)
        // The same message fed one byte at a time exercises the partial-block path only.
        var hasher = SHA256()
        let a: [UInt8] = [UInt8(ascii: "a")]
        for _ in 0..<1_000_000 { hasher.update(a) }
        #expect(hasher.finalize().hex == expected)
    }

    // Lengths on both sides of the 56-byte point where padding spills into an extra block,
    // and of one and two block boundaries. Expected values computed with Python's hashlib.
    @Test("Padding boundary lengths", arguments: [
        (55, "e7313d333c272e639f790978283f9eb392e843d0f29b7016828bb1daa4aac70b"),
        (56, "4324d65f3c103567f5589c710bc08f8523f929a9272e3af36fc968e52abc6c27"),
        (57, "35df609437dcfea3279283ab79fd554e2bf78f8f7ae2de532d8ee300b09e8f73"),
        (63, "81c80242132f230c3bd41b3e63bbcff16107339549214a99614ff26664625055"),
        (64, "39e3d7b6b5d075d37d053ad89b24b41bef4f3c29760c84447cab3f3be1882241"),
        (65, "aacca6ff74fdbb296d165a45cecfa04e5127bc008770fbbdd48006f2d2fae95e"),
        (119, "9ce7368e4daf32341631b492e80359dc9f594b48453cd0dd5bf0b19279cc177e"),
        (120, "7836b787757e95e58b3ca5aec90b1b004e8deba1e50e9675af9cabf1a13a04b5"),
        (127, "a8d23e75d936f303d248888d9b165ee543f4cbafcad3c9dd2a79bd84faa11d07"),
        (128, "d2742f1f4ac6bb7ca2b239ee18402ba8b3f9f8e652d2a72973c2b9ba11c08cf6"),
        (129, "307f8fc2c1622b92762e818d39a185d4d667ad49a4b07ceae1f4afa008a93ec4"),
    ])
    func paddingBoundaries(length: Int, expectedHex: String) {
        #expect(SHA256.hash(patternBytes(length)).hex == expectedHex)
    }

    @Test("Streaming in random pieces equals one-shot, lengths 0...200")
    func streamingEqualsOneShot() {
        var generator = SplitMix64(state: 0x5348_4132_3536)
        for length in 0...200 {
            let message = patternBytes(length)
            let oneShot = SHA256.hash(message)
            for _ in 0..<8 {
                var hasher = SHA256()
                for piece in randomPieces(of: length, using: &generator) {
                    message[piece].withUnsafeBytes { hasher.update($0) }
                }
                #expect(hasher.finalize() == oneShot, "length \(length)")
            }
            // Every two-piece split, so each cut point through the padding region is covered.
            if (48...72).contains(length) || (112...136).contains(length) {
                for cut in 0...length {
                    var hasher = SHA256()
                    hasher.update(message[..<cut])
                    hasher.update(message[cut...])
                    #expect(hasher.finalize() == oneShot, "length \(length) cut \(cut)")
                }
            }
        }
    }

    @Test("Non-contiguous collections hash like arrays")
    func nonContiguousCollection() {
        // A lazy map has no contiguous storage, so this goes through the staging buffer,
        // over more than one chunk of it.
        let message = patternBytes(5000)
        let lazyMessage = (0..<5000).lazy.map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }
        #expect(SHA256.hash(lazyMessage) == SHA256.hash(message))
        #expect(SHA256.hash(lazyMessage).hex == SHA256.hash(message).hex)
    }

    @Test("finalize resets the hasher to the empty message")
    func finalizeResets() {
        var hasher = SHA256()
        hasher.update(Array("abc".utf8))
        #expect(hasher.finalize().hex == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(hasher.finalize().hex == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }
}

@Suite("SHA-256 digest")
struct SHA256DigestTests {
    @Test("Hex and bytes round trip")
    func roundTrip() throws {
        let digest = SHA256.hash(Array("abc".utf8))
        #expect(digest.bytes.count == 32)
        #expect(digest.bytes.first == 0xba && digest.bytes.last == 0xad)
        #expect(digest.description == digest.hex)
        #expect(SHA256Digest(hex: digest.hex) == digest)
        #expect(SHA256Digest(hex: digest.hex.uppercased()) == digest)
        #expect(SHA256Digest(bytes: digest.bytes) == digest)
        #expect(digest.withUnsafeBytes { Array($0) } == digest.bytes)
        let other = try #require(SHA256Digest(bytes: [UInt8](repeating: 0xab, count: 32)))
        #expect(other.hex == String(repeating: "ab", count: 32))
        #expect(other != digest)
        #expect(Set([digest, other, SHA256Digest(hex: digest.hex)!]).count == 2)
    }

    @Test("Malformed hex and byte counts are rejected", arguments: [
        "",
        String(repeating: "0", count: 63),
        String(repeating: "0", count: 65),
        String(repeating: "0", count: 62) + "0g",
        String(repeating: "0", count: 62) + " 0",
        String(repeating: "é", count: 32),
    ])
    func malformedHex(text: String) {
        #expect(SHA256Digest(hex: text) == nil)
    }

    @Test("Only exactly 32 bytes make a digest")
    func byteCounts() {
        #expect(SHA256Digest(bytes: [UInt8](repeating: 1, count: 31)) == nil)
        #expect(SHA256Digest(bytes: [UInt8](repeating: 1, count: 33)) == nil)
        #expect(SHA256Digest(bytes: [UInt8](repeating: 1, count: 32)) != nil)
    }
}

@Suite("CRC-32C")
struct CRC32CTests {
    /// The iSCSI SCSI Read (10) command PDU from RFC 3720, appendix B.4.
    static let iscsiReadPDU: [UInt8] = [
        0x01, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18,
        0x28, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    ]

    /// RFC 3720 B.4 check values, the CRC catalogue's check value for "123456789", and the
    /// empty message.
    static let checkValues: [(message: [UInt8], expected: UInt32)] = [
        ([UInt8](repeating: 0x00, count: 32), 0x8A91_36AA),
        ([UInt8](repeating: 0xFF, count: 32), 0x62A8_AB43),
        ((0..<32).map { UInt8($0) }, 0x46DD_794E),
        ((0..<32).reversed().map { UInt8($0) }, 0x113F_DB5C),
        (iscsiReadPDU, 0xD996_3A56),
        (Array("123456789".utf8), 0xE306_9283),
        ([], 0),
    ]

    @Test("Published check values", arguments: checkValues)
    func checkValue(message: [UInt8], expected: UInt32) {
        #expect(CRC32C.checksum(message) == expected)
        #expect(message.withUnsafeBytes { CRC32C.checksum($0) } == expected)
    }

    /// Bit-at-a-time CRC-32C straight from the definition, to check the sliced tables against.
    private func bitwiseCRC32C(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        var register: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            register ^= UInt32(byte)
            for _ in 0..<8 {
                register = register & 1 == 1 ? (register >> 1) ^ 0x82F6_3B78 : register >> 1
            }
        }
        return ~register
    }

    @Test("Sliced tables agree with the bitwise definition at every length and alignment")
    func matchesBitwiseDefinition() {
        var generator = SplitMix64(state: 0x4352_4333_3243)
        let message = (0..<300).map { _ in UInt8.random(in: 0...255, using: &generator) }
        for start in 0..<8 {
            for end in start...message.count where (end - start) <= 40 || end % 17 == 0 {
                let slice = message[start..<end]
                #expect(slice.withUnsafeBytes { CRC32C.checksum($0) } == bitwiseCRC32C(slice),
                        "bytes \(start)..<\(end)")
            }
        }
    }

    @Test("Incremental updates equal one-shot")
    func incrementalEqualsOneShot() {
        var generator = SplitMix64(state: 0x494E_4352)
        for length in [0, 1, 7, 8, 9, 15, 16, 17, 48, 63, 64, 65, 200, 1500] {
            let message = patternBytes(length)
            let oneShot = CRC32C.checksum(message)
            for cut in 0...length {
                let first = CRC32C.checksum(Array(message[..<cut]))
                #expect(CRC32C.update(first, Array(message[cut...])) == oneShot, "length \(length) cut \(cut)")
            }
            for _ in 0..<20 {
                var crc: UInt32 = 0
                for piece in randomPieces(of: length, using: &generator) {
                    crc = message[piece].withUnsafeBytes { CRC32C.update(crc, $0) }
                }
                #expect(crc == oneShot, "length \(length)")
            }
        }
    }

    @Test("A single flipped bit changes the checksum")
    func detectsSingleBitFlips() {
        let message = patternBytes(64)
        let original = CRC32C.checksum(message)
        for bit in 0..<(message.count * 8) {
            var corrupted = message
            corrupted[bit / 8] ^= 1 << UInt8(bit % 8)
            #expect(CRC32C.checksum(corrupted) != original, "bit \(bit)")
        }
    }
}
