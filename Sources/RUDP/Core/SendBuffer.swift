/// The sender's packet store: one slot per window position, so memory is bounded by
/// window × MSS whatever the file size. Packet index `i` lives in slot `i % slotCount`.
///
/// It starts small and doubles (up to `maxSlotCount`, the window) only when the packets written
/// and not yet acknowledged fill it: a congestion-controlled sender granted a window of
/// thousands of packets keeps only about its congestion window here, in memory the cache holds,
/// instead of cycling through megabytes it will rarely need.
struct SendBuffer {
    /// Per-packet bookkeeping beside the payload bytes.
    struct Slot {
        var length = 0
        var acknowledged = false
        /// Transmission counter value of the latest transmission (RFC 9002-style packet number).
        var transmissionNumber: UInt64 = 0
        var lastSent: UInt64 = 0
        /// When a later packet last carried a redundant copy of this one (0: never): its timer
        /// runs from then, since that copy may be what arrives.
        var lastCopied: UInt64 = 0
        var transmissions = 0
        /// Consecutive retransmission timeouts of this packet.
        var timeouts = 0
        /// Counted in the sender's bytes in flight: sent, neither acknowledged nor declared lost.
        var inFlight = false
        /// The delivery-rate state at its latest transmission.
        var rateSnapshot = DeliveryRateEstimator.SendSnapshot()
    }

    private(set) var slotCount: Int
    let maxSlotCount: Int
    let stride: Int
    private var storage: UnsafeMutableRawBufferPointer
    private(set) var slots: [Slot]
    /// The slots a buffer starts with when its window is larger.
    static let initialSlotCount = 128

    init(slotCount maxSlotCount: Int, stride: Int) {
        self.maxSlotCount = maxSlotCount
        slotCount = Swift.min(maxSlotCount, Self.initialSlotCount)
        self.stride = stride
        storage = UnsafeMutableRawBufferPointer.allocate(byteCount: slotCount * stride, alignment: 16)
        slots = Array(repeating: Slot(), count: slotCount)
    }

    /// Doubles the slots (up to `maxSlotCount`), keeping packets `live` at their indices; false
    /// if the buffer is already at its largest.
    mutating func grow(keeping live: Range<UInt64>) -> Bool {
        guard slotCount < maxSlotCount else { return false }
        let count = Swift.min(maxSlotCount, slotCount * 2)
        let grown = UnsafeMutableRawBufferPointer.allocate(byteCount: count * stride, alignment: 16)
        var grownSlots = Array(repeating: Slot(), count: count)
        for index in live {
            let from = position(index), to = Int(index % UInt64(count))
            grownSlots[to] = slots[from]
            (grown.baseAddress! + to * stride).copyMemory(from: storage.baseAddress! + from * stride,
                                                          byteCount: slots[from].length)
        }
        storage.deallocate()
        storage = grown
        slots = grownSlots
        slotCount = count
        return true
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

    /// When packet `index`'s retransmission timer started: its latest transmission, or the
    /// latest copy of it that rode in a later packet.
    func timerStart(_ index: UInt64) -> UInt64 {
        let slot = slots[position(index)]
        return Swift.max(slot.lastSent, slot.lastCopied)
    }

    /// Forgets packet `index` so its slot can take packet `index + slotCount`.
    mutating func release(_ index: UInt64) { slots[position(index)] = Slot() }
}
