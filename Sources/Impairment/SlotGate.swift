/// Holds datagrams that are due until the next slot opening, then lets them go in a burst
/// limited by the slot's packet and byte budget (netem's slot semantics, sans IO).
///
/// Datagrams are taken in due order. One due at or before the pending opening leaves at that
/// opening. One due after it (the link sat idle: the slot opened with nothing to send) starts a
/// new slot one interval after its due time, as netem redraws the slot from the moment it
/// finds a packet waiting. A slot whose budget runs out is followed by the next one interval
/// later. Intervals are uniform over [min, max] ns, one draw per slot, from the `slot` stream.
struct SlotGate {
    private let slots: DeliverySlots
    private var random: SeededRandom
    /// When the pending slot opens; nil before the first datagram.
    private var opening: UInt64?
    /// The interval to the slot after the pending one, drawn ahead so that asking when the next
    /// datagram leaves changes nothing.
    private var nextInterval: UInt64 = 0
    private var packetsLeft = 0
    private var bytesLeft = 0

    init(slots: DeliverySlots, random: SeededRandom) {
        self.slots = slots
        self.random = random
        nextInterval = drawInterval()
    }

    /// When a datagram due at `due`, the next in due order, would leave.
    func releaseTime(due: UInt64) -> UInt64 {
        if let opening, due <= opening { return opening }
        return due + nextInterval
    }

    /// Lets the next datagram in due order (due at `due`, `length` bytes) through and returns
    /// when it leaves: the same time `releaseTime(due:)` announced.
    mutating func release(due: UInt64, length: Int) -> UInt64 {
        if opening.map({ due > $0 }) ?? true {
            openSlot(at: due + nextInterval)
        }
        let leaves = opening!
        packetsLeft -= 1
        bytesLeft -= length
        if packetsLeft <= 0 || bytesLeft <= 0 {
            openSlot(at: leaves + nextInterval)
        }
        return leaves
    }

    private mutating func openSlot(at time: UInt64) {
        opening = time
        nextInterval = drawInterval()
        packetsLeft = slots.maxPackets > 0 ? slots.maxPackets : .max
        bytesLeft = slots.maxBytes > 0 ? slots.maxBytes : .max
    }

    private mutating func drawInterval() -> UInt64 {
        slots.minInterval + random.nextBelow(slots.maxInterval - slots.minInterval + 1)
    }
}
