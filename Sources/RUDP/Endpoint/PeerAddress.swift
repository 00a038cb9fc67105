/// A peer's network address as the protocol core sees it: IPv4 or IPv6 bytes, port and scope,
/// stored inline. Drivers convert their socket addresses to and from it; the core only compares,
/// hashes and prints it, so the simulator can invent addresses as freely as a kernel hands them out.
public struct PeerAddress: Hashable, Sendable, CustomStringConvertible {
    /// The address family.
    public enum Family: UInt8, Hashable, Sendable {
        case ipv4
        case ipv6
    }

    public let family: Family
    /// The address bytes in network order, as two big-endian words (IPv4 in the low 32 bits of `low`).
    public let high: UInt64
    public let low: UInt64
    public let port: UInt16
    /// The IPv6 scope (interface index) of a link-local address; 0 otherwise.
    public let scopeID: UInt32

    /// An IPv4 address from its 32 bits in host order (`0x7f00_0001` is 127.0.0.1).
    public init(ipv4 bits: UInt32, port: UInt16) {
        family = .ipv4
        high = 0
        low = UInt64(bits)
        self.port = port
        scopeID = 0
    }

    /// An IPv6 address from its 128 bits as two host-order words, most significant first.
    public init(ipv6 high: UInt64, _ low: UInt64, port: UInt16, scopeID: UInt32 = 0) {
        family = .ipv6
        self.high = high
        self.low = low
        self.port = port
        self.scopeID = scopeID
    }

    /// `1.2.3.4:PORT` or `[hex:groups]:PORT` (groups uncompressed: this is for logs and tests;
    /// drivers print their own socket addresses).
    public var description: String {
        switch family {
        case .ipv4:
            let octets = (0..<4).map { String((low >> (24 - 8 * $0)) & 0xff) }
            return octets.joined(separator: ".") + ":\(port)"
        case .ipv6:
            let groups = (0..<8).map { index -> String in
                let word = index < 4 ? high : low
                return String((word >> (48 - 16 * UInt64(index % 4))) & 0xffff, radix: 16)
            }
            return "[" + groups.joined(separator: ":") + (scopeID == 0 ? "" : "%\(scopeID)") + "]:\(port)"
        }
    }
}
