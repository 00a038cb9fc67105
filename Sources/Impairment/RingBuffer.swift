/// A FIFO queue of plain values on a power-of-two circular buffer that grows by doubling and
/// never shrinks, so after warm-up appends and removals allocate nothing and check nothing
/// but the count.
struct RingBuffer<Element: BitwiseCopyable>: ~Copyable {
    private var storage: UnsafeMutablePointer<Element>
    private var mask: Int
    private var head = 0
    private(set) var count = 0

    init(initialCapacity: Int = 16) {
        var capacity = 1
        while capacity < max(initialCapacity, 1) { capacity <<= 1 }
        storage = .allocate(capacity: capacity)
        mask = capacity - 1
    }

    deinit {
        storage.deallocate()  // elements are bitwise-copyable: nothing to deinitialize
    }

    var isEmpty: Bool { count == 0 }
    var capacity: Int { mask + 1 }

    var first: Element? { count == 0 ? nil : storage[head] }
    var last: Element? { count == 0 ? nil : storage[(head + count - 1) & mask] }

    mutating func append(_ element: Element) {
        if count == capacity { grow() }
        (storage + ((head + count) & mask)).initialize(to: element)
        count += 1
    }

    @discardableResult
    mutating func removeFirst() -> Element {
        precondition(count > 0, "removeFirst on an empty RingBuffer")
        let element = storage[head]
        head = (head + 1) & mask
        count -= 1
        return element
    }

    private mutating func grow() {
        let larger = UnsafeMutablePointer<Element>.allocate(capacity: capacity * 2)
        for i in 0..<count {
            (larger + i).initialize(to: storage[(head + i) & mask])
        }
        storage.deallocate()
        storage = larger
        mask = mask * 2 + 1
        head = 0
    }
}
