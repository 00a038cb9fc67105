/// A receiver endpoint's connections, with bounded resources.
///
/// A connection starts half-open: its peer has not yet proved it receives our packets (see
/// InboundConnection). Half-open connections are cheap (no file, no reassembly buffer) and
/// have a quota of their own; when it is full, the oldest gives way to a new SYN, and one that
/// hears nothing for its `handshakeLifetime` is forgotten. A flood of handshakes from spoofed
/// addresses thus churns the half-open entries only: a real sender completes its handshake
/// unless the flood replaces the whole quota within one round trip, and established transfers
/// are never displaced. Admission to the established set is bounded by `capacity` connections
/// and `memoryBudget` bytes of reassembly buffers in all, and by each host's share of both.
struct ConnectionTable {
    typealias Key = ConnectionKey

    /// Established connections at most.
    let capacity: Int
    /// Half-open connections at most.
    let halfOpenCapacity: Int
    let memoryBudget: Int
    private(set) var entries: [Key: InboundConnection] = [:]
    private(set) var establishedCount = 0
    /// Reassembly bytes granted to the established connections.
    private(set) var reservedBytes = 0
    /// What each host holds of the established set.
    private(set) var hosts: HostShare
    /// Half-open keys in the order they came; keys no longer half-open are skipped at the front.
    private var halfOpenOrder: [Key] = []
    private var halfOpenHead = 0
    /// The last connection `lookup` found: datagrams come in runs from one peer (a batch, a
    /// window), and comparing a key is much cheaper than hashing it.
    private var lastFound: (key: Key, transfer: InboundConnection)?

    init(capacity: Int, halfOpenCapacity: Int, memoryBudget: Int, hostShare: HostShare) {
        hosts = hostShare
        self.capacity = capacity
        self.halfOpenCapacity = halfOpenCapacity
        self.memoryBudget = memoryBudget
    }

    var isEmpty: Bool { entries.isEmpty }
    var halfOpenCount: Int { entries.count - establishedCount }
    var transfers: Dictionary<Key, InboundConnection>.Values { entries.values }

    /// The connection at `key`, if any.
    mutating func lookup(_ key: Key) -> InboundConnection? {
        if let lastFound, lastFound.key == key { return lastFound.transfer }
        guard let transfer = entries[key] else { return nil }
        lastFound = (key, transfer)
        return transfer
    }

    /// Reassembly bytes a connection admitted now could still be granted.
    var availableBytes: Int { max(0, memoryBudget - reservedBytes) }

    /// Reassembly bytes a connection from `peer` admitted now could still be granted.
    func availableBytes(for peer: PeerAddress) -> Int { min(availableBytes, hosts.availableBytes(for: peer)) }

    /// Adds a half-open connection, evicting the oldest half-open ones if the quota is full;
    /// returns the evicted transfers.
    mutating func insertHalfOpen(_ transfer: InboundConnection, for key: Key) -> [InboundConnection] {
        precondition(entries[key] == nil && !transfer.isAddressValidated, "not a new half-open connection")
        var evicted: [InboundConnection] = []
        while halfOpenCount >= halfOpenCapacity, let oldest = oldestHalfOpen() {
            halfOpenHead += 1
            if let transfer = remove(oldest) { evicted.append(transfer) }
        }
        entries[key] = transfer
        halfOpenOrder.append(key)
        compact()
        return evicted
    }

    /// Why a connection was not admitted.
    enum Refusal {
        /// The endpoint's places or memory are taken.
        case full
        /// The peer's host holds its share already.
        case hostShare
    }

    /// Admits the half-open connection at `key` to the established set if a place and its
    /// reassembly memory are free, in all and within its host's share; nil if admitted.
    mutating func admit(_ key: Key) -> Refusal? {
        guard let transfer = entries[key], !transfer.isAddressValidated,
              establishedCount < capacity, reservedBytes + transfer.reservedBytes <= memoryBudget else { return .full }
        guard hosts.admits(key.peer, bytes: transfer.reservedBytes) else { return .hostShare }
        establishedCount += 1
        reservedBytes += transfer.reservedBytes
        hosts.add(key.peer, bytes: transfer.reservedBytes)
        return nil
    }

    @discardableResult
    mutating func remove(_ key: Key) -> InboundConnection? {
        guard let transfer = entries.removeValue(forKey: key) else { return nil }
        if lastFound?.key == key { lastFound = nil }
        if transfer.isAddressValidated {
            establishedCount -= 1
            reservedBytes -= transfer.reservedBytes
            hosts.remove(key.peer, bytes: transfer.reservedBytes)
        }
        return transfer
    }

    /// Removes the half-open connections, oldest first, that have heard nothing for their
    /// lifetime. Lifetimes differ (a sender that announced a longer retry budget is waited for
    /// longer), so one behind a longer-lived head waits for it: forgotten late, never early, and
    /// the quota still bounds them all.
    mutating func expireHalfOpen(now: UInt64) -> [InboundConnection] {
        var expired: [InboundConnection] = []
        while let key = oldestHalfOpen(), let transfer = entries[key], transfer.lastHeard + transfer.handshakeLifetime <= now {
            halfOpenHead += 1
            remove(key)
            expired.append(transfer)
        }
        compact()
        return expired
    }

    /// When the oldest half-open connection expires, if there is one.
    var nextHalfOpenExpiry: UInt64? {
        var position = halfOpenHead
        while position < halfOpenOrder.count {
            if let transfer = entries[halfOpenOrder[position]], !transfer.isAddressValidated {
                return transfer.lastHeard + transfer.handshakeLifetime
            }
            position += 1
        }
        return nil
    }

    /// The oldest connection still half-open, dropping stale keys from the front of the queue.
    private mutating func oldestHalfOpen() -> Key? {
        while halfOpenHead < halfOpenOrder.count {
            let key = halfOpenOrder[halfOpenHead]
            if let transfer = entries[key], !transfer.isAddressValidated { return key }
            halfOpenHead += 1
        }
        return nil
    }

    /// Drops consumed keys once they are the larger part of the queue (amortized O(1)).
    private mutating func compact() {
        guard halfOpenHead > 64 && halfOpenHead * 2 > halfOpenOrder.count else { return }
        halfOpenOrder.removeFirst(halfOpenHead)
        halfOpenHead = 0
    }
}
