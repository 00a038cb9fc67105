/// Held datagrams ordered by (due time, scheduling order).
///
/// Most traffic is scheduled in nondecreasing due order (no jitter, or a constant delay after a
/// FIFO rate limiter); those datagrams go to a plain FIFO run at O(1). Only a datagram due
/// before the run's last one (jitter, reordering) goes to a min-heap. Release takes the
/// earlier of the two heads, which gives exactly the heap order at a fraction of its cost.
struct ReleaseSchedule: ~Copyable {
    private var run = RingBuffer<HeldDatagram>(initialCapacity: 64)
    private var heap: [HeldDatagram] = []

    var count: Int { run.count + heap.count }

    /// The earliest due time, or nil when nothing is held.
    var earliestDue: UInt64? {
        switch (run.first, heap.first) {
        case let (fifo?, heapTop?): return min(fifo.due, heapTop.due)
        case let (fifo?, nil): return fifo.due
        case let (nil, heapTop?): return heapTop.due
        case (nil, nil): return nil
        }
    }

    /// The datagram released next, left in place; nil when nothing is held.
    var first: HeldDatagram? {
        switch (run.first, heap.first) {
        case let (fifo?, heapTop?): return heapTop.precedes(fifo) ? heapTop : fifo
        case let (fifo?, nil): return fifo
        case let (nil, heapTop?): return heapTop
        case (nil, nil): return nil
        }
    }

    mutating func insert(_ datagram: HeldDatagram) {
        if let last = run.last, datagram.due < last.due {
            pushHeap(datagram)
        } else {
            run.append(datagram)
        }
    }

    /// Removes and returns the next datagram in release order if it is due at or before `now`.
    mutating func popDue(now: UInt64) -> HeldDatagram? {
        if let fifo = run.first {
            if let heapTop = heap.first, heapTop.precedes(fifo) {
                return heapTop.due <= now ? popHeap() : nil
            }
            return fifo.due <= now ? run.removeFirst() : nil
        }
        if let heapTop = heap.first, heapTop.due <= now {
            return popHeap()
        }
        return nil
    }

    // The heap is 4-ary (children of i at 4i+1...4i+4): half the levels of a binary heap, and
    // the four children share a cache line or two, which roughly halves the cost of a pop
    // when thousands of jittered datagrams are in flight.

    private mutating func pushHeap(_ datagram: HeldDatagram) {
        heap.append(datagram)
        heap.withUnsafeMutableBufferPointer { heap in
            // Sift up by moving parents down into the hole, writing the new entry once.
            var hole = heap.count - 1
            while hole > 0 {
                let parent = (hole - 1) / 4
                guard datagram.precedes(heap[parent]) else { break }
                heap[hole] = heap[parent]
                hole = parent
            }
            heap[hole] = datagram
        }
    }

    private mutating func popHeap() -> HeldDatagram {
        let top = heap[0]
        let last = heap.removeLast()
        guard !heap.isEmpty else { return top }
        heap.withUnsafeMutableBufferPointer { heap in
            // Sift the former last entry down from the root by moving the earliest child up.
            let count = heap.count
            var hole = 0
            while true {
                let firstChild = 4 * hole + 1
                guard firstChild < count else { break }
                var child = firstChild
                for sibling in firstChild + 1..<min(firstChild + 4, count)
                where heap[sibling].precedes(heap[child]) {
                    child = sibling
                }
                guard heap[child].precedes(last) else { break }
                heap[hole] = heap[child]
                hole = child
            }
            heap[hole] = last
        }
        return top
    }
}
