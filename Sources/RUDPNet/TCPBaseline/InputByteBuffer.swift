#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SystemKit

/// Bytes read from a stream and not yet parsed, in one buffer allocated once: reads go in at
/// the tail, the parser consumes from the head. Only a partial field is ever left over, so
/// moving it to the front before the next read copies a few bytes at most.
final class InputByteBuffer {
    private let storage: UnsafeMutableRawBufferPointer
    private var head = 0
    private var tail = 0

    init(capacity: Int) {
        storage = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 16)
    }

    deinit { storage.deallocate() }

    /// How many unparsed bytes there are.
    var count: Int { tail - head }

    /// The unparsed bytes (valid until the next mutation).
    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: storage[head..<tail]) }

    /// Marks `count` bytes at the head as parsed.
    func consume(_ count: Int) {
        precondition(count <= self.count)
        head += count
        if head == tail { head = 0; tail = 0 }
    }

    /// Forgets every unparsed byte.
    func removeAll() {
        head = 0
        tail = 0
    }

    /// Room for the next read; empty only when the buffer is full of unparsed bytes.
    func spaceForReading() -> UnsafeMutableRawBufferPointer {
        if head > 0 && storage.count - tail < storage.count / 2 {
            memmove(storage.baseAddress!, storage.baseAddress! + head, tail - head)
            tail -= head
            head = 0
        }
        return UnsafeMutableRawBufferPointer(rebasing: storage[tail...])
    }

    /// Records that a read put `count` bytes into the space `spaceForReading` gave.
    func didRead(_ count: Int) {
        precondition(tail + count <= storage.count)
        tail += count
    }
}
