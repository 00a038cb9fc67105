
/// The RUDP transfers this server confirmed recently, long after their connections were
/// forgotten: for each, the acknowledgement its FIN-ACK carried.
///
/// A connection lingers after its FIN-ACK for three times the sender's retransmission timeout
/// only, while a sender whose FIN-ACKs and FINs are lost keeps retransmitting its FIN with a
/// doubling timeout, for up to `--max-retries` times: its FIN can arrive after the linger. It
/// must then be confirmed again, not answered "no such transfer", which would make the sender
/// report a failure for a file that was saved. A late DATA packet is confirmed the same way (a
/// sender that sent its FIN early resends data whose ACKs were lost); other late packets are
/// ignored, for the same reason. Bounded: the oldest entries are forgotten first, and none is kept
/// longer than `horizon`.
struct CompletedTransfers {
    let capacity: Int
    let horizon: UInt64
    private var acknowledgements: [ConnectionKey: (acknowledgement: SequenceNumber, time: UInt64)] = [:]
    /// The keys of transfers whose sender answers path challenges, by connection ID: its late
    /// FIN may come from a new address (its NAT rebound after the linger).
    private var migratable: [UInt32: ConnectionKey] = [:]
    private var order: [ConnectionKey] = []
    private var head = 0

    init(capacity: Int, horizon: UInt64) {
        self.capacity = capacity
        self.horizon = horizon
    }

    mutating func remember(_ key: ConnectionKey, acknowledgement: SequenceNumber, isMigratable: Bool = false, now: UInt64) {
        expire(now: now)
        while acknowledgements.count >= capacity, head < order.count {
            forget(order[head])
            head += 1
        }
        acknowledgements[key] = (acknowledgement, now)
        if isMigratable { migratable[key.connectionID] = key }
        order.append(key)
        compact()
    }

    /// The FIN-ACK acknowledgement of a recently confirmed transfer, if `key` is one.
    mutating func acknowledgement(for key: ConnectionKey, now: UInt64) -> SequenceNumber? {
        expire(now: now)
        if let entry = acknowledgements[key] { return entry.acknowledgement }
        // From another address: only the FIN-ACK of a sender that may move, which is smaller
        // than the FIN it answers and says nothing the FIN's sender did not know.
        guard let moved = migratable[key.connectionID] else { return nil }
        return acknowledgements[moved]?.acknowledgement
    }

    private mutating func forget(_ key: ConnectionKey) {
        acknowledgements[key] = nil
        if migratable[key.connectionID] == key { migratable[key.connectionID] = nil }
    }

    private mutating func expire(now: UInt64) {
        while head < order.count {
            let key = order[head]
            if let entry = acknowledgements[key], entry.time + horizon > now { return }
            forget(key)
            head += 1
        }
    }

    private mutating func compact() {
        guard head > 64 && head * 2 > order.count else { return }
        order.removeFirst(head)
        head = 0
    }
}
