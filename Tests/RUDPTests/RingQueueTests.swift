@testable import RUDP
import Testing

/// `prepend` puts an element back where `popFirst` takes it next, across the ring's wrap and growth
/// (ReceiverEndpoint takes its first connection out while polling it and puts it back).
@Suite struct RingQueueTests {
    @Test func prependIsPoppedNext() {
        var queue = RingQueue<Int>(capacity: 4)
        for value in 1...3 { queue.append(value) }
        #expect(queue.popFirst() == 1)
        queue.prepend(1)
        #expect(queue.first == 1)
        #expect(queue.count == 3)
        #expect([queue.popFirst(), queue.popFirst(), queue.popFirst(), queue.popFirst()] == [1, 2, 3, nil])
    }

    @Test func prependWrapsAndGrows() {
        var queue = RingQueue<Int>(capacity: 2)
        queue.prepend(2)  // at the end of the storage: head wraps backwards
        queue.prepend(1)
        queue.prepend(0)  // full: grows
        queue.append(3)
        var popped: [Int] = []
        while let value = queue.popFirst() { popped.append(value) }
        #expect(popped == [0, 1, 2, 3])
        #expect(queue.isEmpty)
    }
}
