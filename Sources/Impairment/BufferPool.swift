/// Reusable fixed-capacity byte slots for the datagrams a pipeline holds.
///
/// A slot is allocated the first time no free one fits and is recycled on release, so a
/// pipeline in steady state allocates nothing per datagram and its memory follows the most
/// datagrams it ever held at once. Two slot sizes keep that memory modest: compact slots
/// (2 KiB, enough for any datagram that fits an Ethernet MTU) and full slots of the maximum
/// datagram size, used only for larger datagrams.
struct BufferPool: ~Copyable {
    /// A slot handle: compact slots are numbered 0, 1, 2...; full slots -1, -2, -3...
    typealias Slot = Int32

    /// Capacity of compact slots.
    static let compactSlotSize = 2048

    let maxDatagramSize: Int
    private let compactCapacity: Int
    private var compactSlots: [UnsafeMutableRawPointer] = []
    private var fullSlots: [UnsafeMutableRawPointer] = []
    private var freeCompact: [Slot] = []
    private var freeFull: [Slot] = []

    init(maxDatagramSize: Int) {
        precondition(maxDatagramSize > 0 && maxDatagramSize <= Int(Int32.max),
                      "maxDatagramSize must be in 1...\(Int32.max)")
        self.maxDatagramSize = maxDatagramSize
        compactCapacity = min(Self.compactSlotSize, maxDatagramSize)
    }

    deinit {
        for slot in compactSlots { slot.deallocate() }
        for slot in fullSlots { slot.deallocate() }
    }

    /// Slots allocated so far (in use or free).
    var allocatedSlots: Int { compactSlots.count + fullSlots.count }

    /// A slot that can hold `length` bytes (at most `maxDatagramSize`).
    mutating func acquire(length: Int) -> Slot {
        if length <= compactCapacity {
            if let slot = freeCompact.popLast() { return slot }
            compactSlots.append(.allocate(byteCount: compactCapacity, alignment: 16))
            return Slot(compactSlots.count - 1)
        }
        if let slot = freeFull.popLast() { return slot }
        fullSlots.append(.allocate(byteCount: maxDatagramSize, alignment: 16))
        return -Slot(fullSlots.count)
    }

    /// The bytes of `slot`.
    func pointer(_ slot: Slot) -> UnsafeMutableRawPointer {
        slot >= 0 ? compactSlots[Int(slot)] : fullSlots[Int(-slot) - 1]
    }

    /// Returns `slot` for reuse.
    mutating func release(_ slot: Slot) {
        if slot >= 0 {
            freeCompact.append(slot)
        } else {
            freeFull.append(slot)
        }
    }
}
