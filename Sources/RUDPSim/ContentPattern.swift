import RUDP
import Synchronization

/// Deterministic file content for simulated transfers: byte `o` is a function of `o` alone, so
/// the receiving side can check every delivered byte against the pattern without storing the file.
public enum ContentPattern {
    /// Writes the pattern's bytes for `[offset, offset + buffer.count)` into `buffer`.
    public static func fill(_ buffer: UnsafeMutableRawBufferPointer, offset: UInt64) {
        var position = 0
        while position < buffer.count {
            let absolute = offset + UInt64(position)
            let word = mix(absolute / 8)
            let byteInWord = Int(absolute % 8)
            let take = min(8 - byteInWord, buffer.count - position)
            for byte in 0..<take {
                buffer[position + byte] = UInt8(truncatingIfNeeded: word >> (8 * UInt64(byteInWord + byte)))
            }
            position += take
        }
    }

    /// Whether `bytes` equal the pattern at `offset`; `scratch` must be at least as large.
    public static func matches(_ bytes: UnsafeRawBufferPointer, offset: UInt64, scratch: UnsafeMutableRawBufferPointer) -> Bool {
        let expected = UnsafeMutableRawBufferPointer(rebasing: scratch[0..<bytes.count])
        fill(expected, offset: offset)
        return bytes.elementsEqual(expected)
    }

    private static let digests = Mutex<[Int: SHA256Digest]>([:])

    /// SHA-256 of the first `size` bytes of the pattern (computed once per size).
    public static func sha256(size: Int) -> SHA256Digest {
        if let known = digests.withLock({ $0[size] }) { return known }
        var hasher = SHA256()
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 8)
        defer { chunk.deallocate() }
        var offset = 0
        while offset < size {
            let count = min(chunk.count, size - offset)
            let part = UnsafeMutableRawBufferPointer(rebasing: chunk[0..<count])
            fill(part, offset: UInt64(offset))
            hasher.update(UnsafeRawBufferPointer(part))
            offset += count
        }
        let digest = hasher.finalize()
        digests.withLock { $0[size] = digest }
        return digest
    }

    @inline(__always) private static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
