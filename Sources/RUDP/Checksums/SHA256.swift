import CRUDPShim

/// Streaming SHA-256 (FIPS 180-4) that verifies whole transferred files end to end.
///
/// Feed bytes with `update` in pieces of any size, then call `finalize` once.
/// Whole 64-byte blocks are compressed straight from the caller's memory; only a trailing
/// partial block is copied, into inline storage, so hashing never allocates.
public struct SHA256: Sendable {
    /// Eight working hash values, H0...H7 in FIPS 180-4 terms.
    struct State: Sendable {
        var h0: UInt32 = 0x6a09_e667
        var h1: UInt32 = 0xbb67_ae85
        var h2: UInt32 = 0x3c6e_f372
        var h3: UInt32 = 0xa54f_f53a
        var h4: UInt32 = 0x510e_527f
        var h5: UInt32 = 0x9b05_688c
        var h6: UInt32 = 0x1f83_d9ab
        var h7: UInt32 = 0x5be0_cd19
    }

    /// 64 bytes of inline storage, so a pending partial block costs no heap allocation.
    typealias BlockStorage = (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64)

    static let blockByteCount = 64

    private var state = State()
    /// The start of a block still waiting for more input; only `pendingByteCount` bytes are meaningful.
    private var pending: BlockStorage = (0, 0, 0, 0, 0, 0, 0, 0)
    private var pendingByteCount = 0
    /// Total message length so far; FIPS 180-4 encodes it (in bits, mod 2^64) in the final block.
    private var messageByteCount: UInt64 = 0

    /// Whether this hasher compresses with the CPU's SHA instructions.
    private var usesHardware = SHA256.hardwareAvailable

    /// True when the CPU has SHA-256 instructions (then hashing runs several times faster).
    public static let hardwareAvailable = crudp_has_sha256_instructions() == 1

    /// A hasher for an empty message.
    public init() {}

    /// A hasher that never uses the SHA instructions: the reference for testing the fast path.
    public init(portableOnly: Bool) {
        usesHardware = SHA256.hardwareAvailable && !portableOnly
    }

    /// Compresses whole blocks with the fastest implementation this hasher may use.
    @inline(__always)
    private mutating func compress(_ blocks: UnsafeRawPointer, count: Int) {
        if usesHardware {
            withUnsafeMutableBytes(of: &state) { words in
                crudp_sha256_blocks(words.baseAddress!.assumingMemoryBound(to: UInt32.self),
                                    blocks.assumingMemoryBound(to: UInt8.self), count)
            }
        } else {
            Self.compress(&state, blocks: blocks, count: count)
        }
    }

    /// Appends the bytes in `bytes` to the message.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard var input = bytes.baseAddress, bytes.count > 0 else { return }
        var remaining = bytes.count
        messageByteCount &+= UInt64(remaining)

        if pendingByteCount > 0 {
            let offset = pendingByteCount
            let taken = min(Self.blockByteCount - offset, remaining)
            withUnsafeMutableBytes(of: &pending) { block in
                (block.baseAddress! + offset).copyMemory(from: input, byteCount: taken)
            }
            input += taken
            remaining -= taken
            pendingByteCount += taken
            guard pendingByteCount == Self.blockByteCount else { return }
            let block = pending
            withUnsafeBytes(of: block) { compress($0.baseAddress!, count: 1) }
            pendingByteCount = 0
        }

        let wholeBlocks = remaining / Self.blockByteCount
        if wholeBlocks > 0 {
            compress(input, count: wholeBlocks)
            input += wholeBlocks * Self.blockByteCount
            remaining -= wholeBlocks * Self.blockByteCount
        }

        if remaining > 0 {
            let tail = remaining
            withUnsafeMutableBytes(of: &pending) { block in
                block.baseAddress!.copyMemory(from: input, byteCount: tail)
            }
            pendingByteCount = tail
        }
    }

    /// Appends `bytes` to the message; contiguous collections are hashed in place.
    public mutating func update<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        let hashedInPlace: Void? = bytes.withContiguousStorageIfAvailable { buffer in
            update(UnsafeRawBufferPointer(buffer))
        }
        guard hashedInPlace == nil else { return }
        // Lazy and other non-contiguous collections go through a small stack buffer.
        let chunkCapacity = 1024
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: chunkCapacity) { chunk in
            var filled = 0
            for byte in bytes {
                chunk[filled] = byte
                filled += 1
                if filled == chunkCapacity {
                    update(UnsafeRawBufferPointer(chunk))
                    filled = 0
                }
            }
            update(UnsafeRawBufferPointer(start: chunk.baseAddress, count: filled))
        }
    }

    /// Pads the message, returns its digest, and resets this hasher to the empty message.
    public mutating func finalize() -> SHA256Digest {
        let bitLength = messageByteCount &* 8
        // Padding is a 1 bit, then zeros up to 56 bytes into a block, then the 64-bit length.
        let paddingByteCount = pendingByteCount < 56 ? 56 - pendingByteCount : 120 - pendingByteCount
        var padding: BlockStorage = (0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &padding) { $0[0] = 0x80 }
        withUnsafeBytes(of: padding) { update(UnsafeRawBufferPointer(rebasing: $0[..<paddingByteCount])) }
        withUnsafeBytes(of: bitLength.bigEndian) { update($0) }
        precondition(pendingByteCount == 0, "SHA-256 padding must end on a block boundary")

        let digest = SHA256Digest(
            words: (
                UInt64(state.h0) << 32 | UInt64(state.h1),
                UInt64(state.h2) << 32 | UInt64(state.h3),
                UInt64(state.h4) << 32 | UInt64(state.h5),
                UInt64(state.h6) << 32 | UInt64(state.h7)
            )
        )
        let portableOnly = !usesHardware
        self = SHA256(portableOnly: portableOnly)
        return digest
    }

    /// The SHA-256 digest of `bytes` in one call.
    public static func hash(_ bytes: some Collection<UInt8>) -> SHA256Digest {
        var hasher = SHA256()
        hasher.update(bytes)
        return hasher.finalize()
    }
}
