import SystemKit

/// The relay's clients. Each client address gets its own upstream socket towards the server,
/// so the server sees every client as a distinct peer and its replies, arriving on that
/// socket (from the server's port or any other of its host's), go back to the right client.
///
/// A client is named by a tag (`RelayTag`) that travels with its datagrams through the
/// impairment pipelines: a slot is reused after its client expires, and the generation lets
/// datagrams still held for the old client be recognised and dropped.
final class ClientTable {
    struct Client {
        let address: SocketAddress
        /// `address` as the listening socket sends to it.
        let replyAddress: RawSocketAddress
        /// The upstream socket: bound, not connected, so that replies from any port of the
        /// server's host arrive (a connected socket would make the kernel discard them).
        /// Replaced by a new one at each `--rebind`.
        var socket: UDPSocket
        let generation: UInt32
        /// Monotonic ns of the last datagram from the client or from the server to it.
        var lastActivity: UInt64
    }

    private(set) var slots: [Client?] = []
    private var freeSlots: [Int] = []
    private var slotByAddress: [SocketAddress: Int] = [:]
    private var nextGeneration: UInt32 = 1
    /// The last client looked up: bulk traffic comes from one client at a time, and comparing
    /// two addresses is cheaper than hashing one.
    private var cachedSlot = -1
    /// Clients now in the table.
    private(set) var count = 0
    /// Clients ever added.
    private(set) var totalAdded = 0
    /// Clients that gave up their upstream socket for a newer one (descriptors ran out).
    private(set) var evictedCount = 0
    /// Clients per host (address without port): who gives way when descriptors run out.
    private var countByHost: [[UInt8]: Int] = [:]
    /// Set when a client is added or removed, so the caller rebuilds its poll set.
    var membershipChanged = false

    /// The slot of the client at `address`, if known.
    @inline(__always)
    func slot(of address: SocketAddress) -> Int? {
        if cachedSlot >= 0, let cached = slots[cachedSlot], cached.address == address {
            return cachedSlot
        }
        guard let slot = slotByAddress[address] else { return nil }
        cachedSlot = slot
        return slot
    }

    /// Adds a client whose datagrams go out through `socket` and whose replies leave through a
    /// socket of `listenFamily`; returns its slot.
    func add(address: SocketAddress, listenFamily: SocketAddress.Family, socket: UDPSocket, now: UInt64) -> Int {
        let client = Client(address: address, replyAddress: RawSocketAddress(address, forSocketFamily: listenFamily),
                            socket: socket, generation: nextGeneration, lastActivity: now)
        nextGeneration = nextGeneration == RelayTag.generationLimit - 1 ? 1 : nextGeneration + 1
        let slot: Int
        if let free = freeSlots.popLast() {
            slot = free
            slots[slot] = client
        } else {
            slot = slots.count
            slots.append(client)
        }
        slotByAddress[address] = slot
        countByHost[address.addressBytes, default: 0] += 1
        count += 1
        totalAdded += 1
        membershipChanged = true
        return slot
    }

    /// The tag carried by the datagrams of the client in `slot` to or from `serverPort`.
    @inline(__always)
    func tag(ofSlot slot: Int, serverPort: UInt16) -> UInt64 {
        RelayTag.make(slot: slot, generation: slots[slot]!.generation, serverPort: serverPort)
    }

    /// The slot of the client a tag names, or nil if that client has expired since.
    @inline(__always)
    func slot(ofTag tag: UInt64) -> Int? {
        let slot = RelayTag.slot(tag)
        guard slot < slots.count, let client = slots[slot], client.generation == RelayTag.generation(tag) else {
            return nil
        }
        return slot
    }

    @inline(__always)
    func client(_ slot: Int) -> Client {
        slots[slot]!
    }

    @inline(__always)
    func touch(_ slot: Int, now: UInt64) {
        slots[slot]!.lastActivity = now
    }

    /// Removes (and closes the sockets of) clients silent since before `cutoff`; returns them.
    func removeClients(idleSince cutoff: UInt64) -> [Client] {
        var removed: [Client] = []
        for slot in slots.indices {
            guard let client = slots[slot], client.lastActivity < cutoff else { continue }
            removed.append(client)
            remove(slot)
        }
        return removed
    }

    /// Removes the least recently active client of the host that has the most, so that a new
    /// client can have its socket when descriptors ran out: one host with many ports cannot
    /// lock the others out, and an active transfer gives way last. Returns the removed client.
    func evictForNewClient() -> Client? {
        guard let busiest = countByHost.max(by: { $0.value < $1.value })?.key else { return nil }
        var victim: Int?
        for slot in slots.indices {
            guard let client = slots[slot], client.address.addressBytes == busiest else { continue }
            if victim == nil || client.lastActivity < slots[victim!]!.lastActivity { victim = slot }
        }
        guard let victim, let client = slots[victim] else { return nil }
        remove(victim)
        evictedCount += 1
        return client
    }

    /// Gives the client in `slot` a new upstream socket, as a NAT that rebinds it to a new port,
    /// and closes the old one: what the server still sends there is lost, as behind the NAT.
    func rebind(_ slot: Int, to socket: UDPSocket) {
        guard let old = slots[slot]?.socket else { return }
        slots[slot]!.socket = socket
        old.close()
        rebindCount += 1
        membershipChanged = true
    }

    /// Upstream sockets replaced by `rebind` since the start.
    private(set) var rebindCount = 0

    /// Closes every client's socket and forgets them all.
    func removeAll() {
        for slot in slots.indices where slots[slot] != nil { remove(slot) }
    }

    private func remove(_ slot: Int) {
        guard let client = slots[slot] else { return }
        client.socket.close()
        slots[slot] = nil
        slotByAddress[client.address] = nil
        let host = client.address.addressBytes
        if let hosted = countByHost[host], hosted > 1 { countByHost[host] = hosted - 1 } else { countByHost[host] = nil }
        freeSlots.append(slot)
        if cachedSlot == slot { cachedSlot = -1 }
        count -= 1
        membershipChanged = true
    }
}
