#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import RUDP
import Synchronization

/// Deterministic file content for simulated transfers: byte `o` is a function of `o` alone, so
/// the receiving side can check every delivered byte against the pattern without storing the file.
public enum ContentPattern {
    /// Writes the pattern's bytes for `[offset, offset + buffer.count)` into `buffer`.
    public static func fill(_ buffer: UnsafeMutableRawBufferPointer, offset: UInt64) {
        var position = 0
        // A partial first word, byte by byte; then whole words, eight bytes at a time.
        while position < buffer.count && (offset + UInt64(position)) % 8 != 0 {
            let absolute = offset + UInt64(position)
            buffer[position] = UInt8(truncatingIfNeeded: mix(absolute / 8) >> (8 * (absolute % 8)))
            position += 1
        }
        if buffer.count - position >= 8 {
            let base = buffer.baseAddress!
            var word = (offset + UInt64(position)) / 8
            while buffer.count - position >= 8 {
                (base + position).storeBytes(of: mix(word).littleEndian, as: UInt64.self)
                word += 1
                position += 8
            }
        }
        while position < buffer.count {
            let absolute = offset + UInt64(position)
            buffer[position] = UInt8(truncatingIfNeeded: mix(absolute / 8) >> (8 * (absolute % 8)))
            position += 1
        }
    }

    /// Whether `bytes` equal the pattern at `offset`; `scratch` must be at least as large.
    public static func matches(_ bytes: UnsafeRawBufferPointer, offset: UInt64, scratch: UnsafeMutableRawBufferPointer) -> Bool {
        guard bytes.count > 0 else { return true }
        let expected = UnsafeMutableRawBufferPointer(rebasing: scratch[0..<bytes.count])
        fill(expected, offset: offset)
        return memcmp(bytes.baseAddress!, expected.baseAddress!, bytes.count) == 0
    }

    private static let digests = Mutex<[Int: SHA256Digest]>([:])
    private static let references = Mutex<(files: [Int: ContentReference], bytes: Int)>(([:], 0))
    /// Files up to this size are kept whole in memory, shared by every simulation of that size.
    public static let largestReference = 16 << 20
    /// The shared files together at most: a campaign draws a new size for every scenario, and
    /// keeping them all took its driver to 24 GB after 69,000 scenarios. Past the bound the
    /// cache starts afresh (simulations still running keep their file).
    public static let referenceBudget = 256 << 20

    /// The first `size` bytes of the pattern, made once per size and shared, so simulations
    /// copy and compare instead of regenerating; nil above `largestReference`.
    public static func reference(size: Int) -> ContentReference? {
        guard size <= largestReference else { return nil }
        return references.withLock { cache in
            if let known = cache.files[size] { return known }
            if cache.bytes + size > referenceBudget { cache = ([:], 0) }
            let made = ContentReference(size: size)
            cache.files[size] = made
            cache.bytes += size
            return made
        }
    }

    /// Bytes of the shared files held now (at most `referenceBudget`).
    public static var cachedReferenceBytes: Int { references.withLock { $0.bytes } }

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

    /// The pattern's word number `value`: one multiply and a shift, distinct for every word (the
    /// multiplier is odd, so the map is a bijection) and cheap enough that the simulator spends
    /// its time on the protocol rather than on making up file content.
    @inline(__always) private static func mix(_ value: UInt64) -> UInt64 {
        let z = (value &+ 0x9E37_79B9_7F4A_7C15) &* 0xBF58_476D_1CE4_E5B9
        return z ^ (z >> 31)
    }
}

/// The pattern's first bytes, immutable once made, for simulations to read.
public final class ContentReference: @unchecked Sendable {
    /// Never written after `init`, so any thread may read it.
    public let bytes: UnsafeRawBufferPointer

    init(size: Int) {
        let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: max(size, 1), alignment: 16)
        ContentPattern.fill(UnsafeMutableRawBufferPointer(rebasing: storage[0..<size]), offset: 0)
        bytes = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(storage)[0..<size])
    }

    deinit { UnsafeMutableRawBufferPointer(mutating: bytes).deallocate() }
}
