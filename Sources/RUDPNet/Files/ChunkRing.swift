import Dispatch

/// A ring of equal chunk buffers whose filled chunks are processed, in order, on a background
/// serial queue: how a file's SHA-256 (and, at the receiver, its writes) overlap the network
/// work of the thread that fills the chunks.
///
/// One thread owns the ring: it `acquire`s a chunk, fills it, and `submit`s it with the work to
/// do on it; `acquire` waits while every chunk is still queued, which bounds the memory and
/// slows the filler down to the worker's pace. The work on chunk i returns a status that the
/// next `acquire` of chunk i hands back, so a failure reaches the owner within one ring's turn.
final class ChunkRing: @unchecked Sendable {
    // @unchecked: `storage` is shared, but a chunk is touched by one side at a time: by the
    // owner between `acquire` and `submit`, then by the worker until it signals `free`, which
    // orders its accesses before the owner's next `acquire` of that chunk (the queue runs the
    // work in submission order, so the k-th signal frees the chunk acquired k turns earlier).
    let chunkSize: Int
    let chunkCount: Int
    private let storage: UnsafeMutableRawBufferPointer
    /// The work's status per chunk, read by the owner when it acquires that chunk again.
    private let statuses: UnsafeMutablePointer<Int32>
    private let free: DispatchSemaphore
    private let queue: DispatchQueue
    /// The chunk the next `acquire` returns (owner only).
    private var next = 0

    init(label: String, chunkSize: Int, chunkCount: Int = 4) {
        precondition(chunkSize > 0 && chunkCount > 1)
        self.chunkSize = chunkSize
        self.chunkCount = chunkCount
        storage = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize * chunkCount, alignment: 64)
        statuses = UnsafeMutablePointer<Int32>.allocate(capacity: chunkCount)
        statuses.initialize(repeating: 0, count: chunkCount)
        // Created at zero and raised: libdispatch traps when a semaphore is destroyed below its
        // initial value, which is where one stands if the owner drops the ring mid-chunk.
        free = DispatchSemaphore(value: 0)
        for _ in 0..<chunkCount { free.signal() }
        queue = DispatchQueue(label: label)
    }

    deinit {
        // Queued work holds a reference to the ring, so none is left by now.
        storage.deallocate()
        statuses.deinitialize(count: chunkCount)
        statuses.deallocate()
    }

    /// The next chunk to fill, once the worker is done with it, and the status of the work
    /// last done on it (0 on the first turn).
    func acquire() -> (index: Int, buffer: UnsafeMutableRawBufferPointer, previousStatus: Int32) {
        free.wait()
        let index = next
        next = (next + 1) % chunkCount
        return (index, chunk(index), statuses[index])
    }

    /// Queues `work` on the first `count` bytes of the chunk `index`; its return value is that
    /// chunk's status. The chunk must have come from the last `acquire`.
    func submit(index: Int, count: Int, _ work: @escaping @Sendable (UnsafeRawBufferPointer) -> Int32) {
        queue.async {
            self.statuses[index] = work(UnsafeRawBufferPointer(rebasing: self.chunk(index)[0..<count]))
            self.free.signal()
        }
    }

    /// Gives the chunk from the last `acquire` back unused.
    func releaseUnused() {
        queue.async { self.free.signal() }
    }

    /// Waits until every submitted chunk has been processed and returns the first non-zero
    /// status among them (0 if none).
    func drain() -> Int32 {
        queue.sync {
            for index in 0..<chunkCount where statuses[index] != 0 { return statuses[index] }
            return 0
        }
    }

    /// Runs `body` on the worker's queue after everything submitted so far.
    func sync<T>(_ body: () -> T) -> T {
        queue.sync(execute: body)
    }

    private func chunk(_ index: Int) -> UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(rebasing: storage[(index * chunkSize)..<((index + 1) * chunkSize)])
    }
}
