/// What one host (an IPv4 address, or an IPv6 /64: one subscriber's prefix) may hold of a
/// receiving endpoint, so that a single sender cannot turn every other one away.
///
/// A host may have at most `maxConnections` established transfers and `maxBytes` of the
/// reassembly budget; a transfer that would exceed the memory share is granted a smaller
/// window instead, down to `minimumGrant`, and only beyond that told "busy". Hosts behind one
/// NAT share a single share, which is why it is a quarter of the budget, not less.
struct HostShare {
    /// The part of a peer address that names its host.
    struct Host: Hashable {
        let family: PeerAddress.Family
        let high: UInt64
        let low: UInt64

        init(_ peer: PeerAddress) {
            family = peer.family
            high = peer.high
            low = peer.family == .ipv6 ? 0 : peer.low
        }
    }

    let maxConnections: Int
    let maxBytes: Int
    private var usage: [Host: (connections: Int, bytes: Int)] = [:]

    init(maxConnections: Int, maxBytes: Int) {
        self.maxConnections = maxConnections
        self.maxBytes = maxBytes
    }

    /// Reassembly bytes `peer`'s host may still be granted.
    func availableBytes(for peer: PeerAddress) -> Int { max(0, maxBytes - (usage[Host(peer)]?.bytes ?? 0)) }

    /// Whether `peer`'s host may open one more transfer now.
    func hasRoom(for peer: PeerAddress) -> Bool { (usage[Host(peer)]?.connections ?? 0) < maxConnections }

    /// Whether a transfer of `bytes` from `peer` fits the host's share.
    func admits(_ peer: PeerAddress, bytes: Int) -> Bool {
        hasRoom(for: peer) && bytes <= availableBytes(for: peer)
    }

    mutating func add(_ peer: PeerAddress, bytes: Int) {
        let host = Host(peer)
        let current = usage[host] ?? (0, 0)
        usage[host] = (current.connections + 1, current.bytes + bytes)
    }

    mutating func remove(_ peer: PeerAddress, bytes: Int) {
        let host = Host(peer)
        guard let current = usage[host] else { return }
        usage[host] = current.connections <= 1 ? nil : (current.connections - 1, current.bytes - bytes)
    }
}
