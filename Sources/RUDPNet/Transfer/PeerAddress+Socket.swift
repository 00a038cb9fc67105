import RUDP
import SystemKit

extension PeerAddress {
    /// The core's view of a socket address (IPv4-mapped IPv6 addresses are plain IPv4 already).
    public init(_ address: SocketAddress) {
        let port = address.port
        let scopeID = address.scopeID
        self = address.withAddressBytes { bytes -> PeerAddress in
            if bytes.count == 4 { return PeerAddress(ipv4: UInt32(bigEndian: bytes.loadUnaligned(as: UInt32.self)), port: port) }
            return PeerAddress(ipv6: UInt64(bigEndian: bytes.loadUnaligned(as: UInt64.self)),
                               UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self)),
                               port: port, scopeID: scopeID)
        }
    }
}

extension SocketAddress {
    /// The socket address the core's `peer` stands for.
    public init(_ peer: PeerAddress) {
        switch peer.family {
        case .ipv4:
            let bits = UInt32(truncatingIfNeeded: peer.low)
            self.init(ipv4: (UInt8(bits >> 24), UInt8((bits >> 16) & 0xff), UInt8((bits >> 8) & 0xff), UInt8(bits & 0xff)),
                      port: peer.port)
        case .ipv6:
            var bytes = [UInt8](repeating: 0, count: 16)
            withUnsafeBytes(of: peer.high.bigEndian) { bytes.replaceSubrange(0..<8, with: $0) }
            withUnsafeBytes(of: peer.low.bigEndian) { bytes.replaceSubrange(8..<16, with: $0) }
            self.init(ipv6: bytes, port: peer.port, scopeID: peer.scopeID)
        }
    }
}

/// The socket address of the last `PeerAddress` converted: an endpoint's replies come in runs
/// to one peer, and converting an IPv6 address builds an array.
struct LastDestination {
    private var last: (peer: PeerAddress, address: SocketAddress)?

    /// `peer` as a socket address, converted only when it differs from the previous one.
    mutating func address(of peer: PeerAddress) -> SocketAddress {
        if let last, last.peer == peer { return last.address }
        let address = SocketAddress(peer)
        last = (peer, address)
        return address
    }
}
