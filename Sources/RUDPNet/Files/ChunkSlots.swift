/// Fixed memory for a file's chunks in flight: chunk n (counted from the start of the file)
/// lives in slot n % count, so the owner's counters say which slots are in use.
struct ChunkSlots {
    let chunkSize: Int
    let count: Int
    private let storage: UnsafeMutableRawBufferPointer

    init(chunkSize: Int, count: Int) {
        precondition(chunkSize > 0 && count > 1)
        self.chunkSize = chunkSize
        self.count = count
        storage = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize * count, alignment: 64)
    }

    /// Frees the memory; the owner's deinit calls it once.
    func deallocate() { storage.deallocate() }

    /// The slot index of chunk `chunk`.
    func slot(_ chunk: Int) -> Int { chunk % count }

    /// The whole slot that chunk `chunk` lives in.
    func buffer(_ chunk: Int) -> UnsafeMutableRawBufferPointer {
        let start = slot(chunk) * chunkSize
        return UnsafeMutableRawBufferPointer(rebasing: storage[start..<(start + chunkSize)])
    }
}
