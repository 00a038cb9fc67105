import SystemKit
import RUDP

/// Fixed memory for a file's chunks in flight: chunk n (counted from the start of the file)
/// lives in slot n % count, so the owner's counters say which slots are in use.
struct ChunkSlots {
    let chunkSize: Int
    let count: Int
    private let storage: UnsafeMutableRawBufferPointer
    /// How many bytes of each slot hold data.
    private let lengths: UnsafeMutablePointer<Int>

    init(chunkSize: Int, count: Int) {
        precondition(chunkSize > 0 && count > 1)
        self.chunkSize = chunkSize
        self.count = count
        storage = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize * count, alignment: 64)
        lengths = UnsafeMutablePointer<Int>.allocate(capacity: count)
        lengths.initialize(repeating: 0, count: count)
    }

    /// Frees the memory; the owner's deinit calls it once.
    func deallocate() {
        storage.deallocate()
        lengths.deallocate()
    }

    /// The whole slot that chunk `chunk` lives in.
    func buffer(_ chunk: Int) -> UnsafeMutableRawBufferPointer {
        let start = (chunk % count) * chunkSize
        return UnsafeMutableRawBufferPointer(rebasing: storage[start..<(start + chunkSize)])
    }

    /// The data of chunk `chunk`, as `setFilled` last recorded it.
    func filled(_ chunk: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: buffer(chunk)[0..<lengths[chunk % count]])
    }

    /// Records that chunk `chunk` holds `byteCount` bytes.
    func setFilled(_ chunk: Int, byteCount: Int) {
        lengths[chunk % count] = byteCount
    }
}

/// A file's SHA-256 fed chunk after chunk in short slices, whenever its owner has a moment.
struct ChunkHashing {
    private(set) var hasher = SHA256()
    /// Chunks hashed completely, counted from the start of the file.
    private(set) var chunksHashed = 0
    /// Bytes of chunk `chunksHashed` hashed so far.
    private var hashedInChunk = 0
    /// Bytes per slice: about 13 µs with SHA-NI, short enough that an arriving datagram waits
    /// for no more than that.
    static let sliceSize = 1 << 14

    /// Hashes the next slice of `chunk`, the data of chunk `chunksHashed`; true when that
    /// finished it (then `chunksHashed` has moved on).
    mutating func hashSlice(of chunk: UnsafeRawBufferPointer) -> Bool {
        let end = min(chunk.count, hashedInChunk + Self.sliceSize)
        hasher.update(UnsafeRawBufferPointer(rebasing: chunk[hashedInChunk..<end]))
        hashedInChunk = end
        guard end == chunk.count else { return false }
        chunksHashed += 1
        hashedInChunk = 0
        return true
    }

    /// The digest of everything hashed.
    mutating func finalize() -> SHA256Digest { hasher.finalize() }
}
