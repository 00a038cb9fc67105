/// The sender's packet store: one fixed slot per window position, allocated once, so memory is
/// bounded by window × MSS whatever the file size. Packet index `i` lives in slot `i % slotCount`.
struct SendBuffer {
    /// Per-packet bookkeeping beside the payload bytes.
    struct Slot {
        var length = 0
        var acknowledged = false
        /// Transmission counter value of the latest transmission (RFC 9002-style packet number).
        var transmissionNumber: UInt64 = 0
        var lastSent: UInt64 = 0
        var transmissions = 0
        /// Consecutive retransmission timeouts of this packet.
        var timeouts = 0
        /// Counted in the sender's bytes in flight: sent, neither acknowledged nor declared lost.
        var inFlight = false
        /// The delivery-rate state at its latest transmission.
        var rateSnapshot = DeliveryRateEstimator.SendSnapshot()
    }

    let slotCount: Int
    let stride: Int
    private let storage: UnsafeMutableRawBufferPointer
    private(set) var slots: [Slot]

    init(slotCount: Int, stride: Int) {
        self.slotCount = slotCount
        self.stride = stride
        storage = UnsafeMutableRawBufferPointer.allocate(byteCount: slotCount * stride, alignment: 16)
        slots = Array(repeating: Slot(), count: slotCount)
    }

    func deallocate() { storage.deallocate() }

    @inline(__always) func position(_ index: UInt64) -> Int { Int(index % UInt64(slotCount)) }

    subscript(index: UInt64) -> Slot {
        get { slots[position(index)] }
        _modify { yield &slots[position(index)] }
    }

    /// The payload bytes of packet `index`.
    func payload(_ index: UInt64) -> UnsafeRawBufferPointer {
        let start = position(index) * stride
        return UnsafeRawBufferPointer(rebasing: storage[start..<(start + slots[position(index)].length)])
    }

    /// Appends bytes to packet `index`, which holds `offset` bytes so far; returns bytes taken.
    mutating func fill(_ index: UInt64, from bytes: UnsafeRawBufferPointer, limit: Int) -> Int {
        let slot = position(index)
        let offset = slots[slot].length
        let taken = Swift.min(bytes.count, limit - offset)
        guard taken > 0 else { return 0 }
        let start = slot * stride + offset
        UnsafeMutableRawBufferPointer(rebasing: storage[start..<(start + taken)])
            .copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[0..<taken]))
        slots[slot].length = offset + taken
        return taken
    }

    /// Forgets packet `index` so its slot can take packet `index + slotCount`.
    mutating func release(_ index: UInt64) { slots[position(index)] = Slot() }
}
