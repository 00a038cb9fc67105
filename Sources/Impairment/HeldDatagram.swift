/// A datagram inside the pipeline: where its bytes are and when it is due (32 bytes, so the
/// release heap stays compact).
struct HeldDatagram {
    /// Release time, ns.
    var due: UInt64
    /// Scheduling order: 2 × submission index, plus 1 for a duplicate. Unique and increasing
    /// in the order datagrams are scheduled; breaks ties between equal due times so the
    /// release order is fully determined.
    var order: UInt64
    /// The caller's opaque context, carried to release.
    var tag: UInt64
    /// Buffer pool slot holding the bytes.
    var slot: BufferPool.Slot
    /// Byte count.
    var length: Int32

    init(due: UInt64, index: Int, isDuplicate: Bool, tag: UInt64, slot: BufferPool.Slot, length: Int) {
        self.due = due
        order = UInt64(index) << 1 | (isDuplicate ? 1 : 0)
        self.tag = tag
        self.slot = slot
        self.length = Int32(length)
    }

    /// 1-based submission index in this direction (shared by a datagram and its duplicate).
    var index: Int { Int(order >> 1) }

    /// Whether this datagram is released before `other`.
    @inline(__always)
    func precedes(_ other: HeldDatagram) -> Bool {
        due != other.due ? due < other.due : order < other.order
    }
}
