#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An IPv4 or IPv6 address and port, stored inline (no heap), ready to hand to a syscall.
///
/// An IPv4-mapped IPv6 address (`::ffff:1.2.3.4`, what a dual-stack socket reports for an
/// IPv4 peer) is stored as the plain IPv4 address, so that one peer has one identity and
/// prints as `1.2.3.4:PORT`; sockets map it back when their own family is IPv6.
public struct SocketAddress: Hashable, Sendable, CustomStringConvertible {
    /// The address family.
    public enum Family: Hashable, Sendable {
        case ipv4
        case ipv6

        /// The `AF_*` constant for `socket(2)`.
        public var domain: Int32 {
            switch self {
            case .ipv4: AF_INET
            case .ipv6: AF_INET6
            }
        }
    }

    enum Storage {
        case v4(sockaddr_in)
        case v6(sockaddr_in6)
    }

    private(set) var storage: Storage

    // MARK: - Making addresses

    /// An IPv4 address from its four octets, e.g. `(127, 0, 0, 1)`.
    public init(ipv4 octets: (UInt8, UInt8, UInt8, UInt8), port: UInt16) {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        withUnsafeMutableBytes(of: &address.sin_addr) { bytes in
            bytes[0] = octets.0; bytes[1] = octets.1; bytes[2] = octets.2; bytes[3] = octets.3
        }
        storage = .v4(address)
    }

    /// An IPv6 address from its sixteen bytes in network order, with an optional scope (interface index).
    public init(ipv6 bytes: [UInt8], port: UInt16, scopeID: UInt32 = 0) {
        precondition(bytes.count == 16, "an IPv6 address has 16 bytes")
        var address = sockaddr_in6()
        address.sin6_family = sa_family_t(AF_INET6)
        address.sin6_port = port.bigEndian
        address.sin6_scope_id = scopeID
        withUnsafeMutableBytes(of: &address.sin6_addr) { $0.copyBytes(from: bytes) }
        self.init(address)
    }

    /// Wraps a `sockaddr_in`.
    public init(_ address: sockaddr_in) {
        storage = .v4(address)
    }

    /// Wraps a `sockaddr_in6`, unmapping an IPv4-mapped address.
    public init(_ address: sockaddr_in6) {
        if let unmapped = SocketAddress.unmappedIPv4(address) {
            storage = .v4(unmapped)
        } else {
            storage = .v6(address)
        }
    }

    /// An address as `recvfrom`, `accept` or `getsockname` return it; nil for a family other than IPv4/IPv6.
    public init?(storage: sockaddr_storage, length: socklen_t) {
        guard let parsed = withUnsafeBytes(of: storage, { SocketAddress(rawSockAddr: $0.baseAddress!, length: length) })
        else { return nil }
        self = parsed
    }

    /// An address from a kernel-filled `sockaddr` buffer of `length` bytes; nil for other families.
    init?(rawSockAddr raw: UnsafeRawPointer, length: socklen_t) {
        guard Int(length) >= MemoryLayout<sockaddr>.size else { return nil }
        let family = Int32(raw.loadUnaligned(fromByteOffset: 0, as: sockaddr.self).sa_family)
        if family == AF_INET, Int(length) >= MemoryLayout<sockaddr_in>.size {
            self.init(raw.loadUnaligned(as: sockaddr_in.self))
        } else if family == AF_INET6, Int(length) >= MemoryLayout<sockaddr_in6>.size {
            self.init(raw.loadUnaligned(as: sockaddr_in6.self))
        } else {
            return nil
        }
    }

    /// The loopback address of a family: `127.0.0.1` or `::1`.
    public static func loopback(_ family: Family = .ipv4, port: UInt16) -> SocketAddress {
        switch family {
        case .ipv4: SocketAddress(ipv4: (127, 0, 0, 1), port: port)
        case .ipv6: SocketAddress(ipv6: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], port: port)
        }
    }

    /// The wildcard ("all interfaces") address of a family: `0.0.0.0` or `::`.
    public static func wildcard(_ family: Family, port: UInt16) -> SocketAddress {
        switch family {
        case .ipv4: SocketAddress(ipv4: (0, 0, 0, 0), port: port)
        case .ipv6: SocketAddress(ipv6: [UInt8](repeating: 0, count: 16), port: port)
        }
    }

    // MARK: - Reading

    /// The address family.
    public var family: Family {
        switch storage {
        case .v4: .ipv4
        case .v6: .ipv6
        }
    }

    /// The port, in host byte order.
    public var port: UInt16 {
        switch storage {
        case .v4(let address): UInt16(bigEndian: address.sin_port)
        case .v6(let address): UInt16(bigEndian: address.sin6_port)
        }
    }

    /// The same host with another port (e.g. TCP bound to the port the kernel chose for UDP).
    public func withPort(_ port: UInt16) -> SocketAddress {
        var copy = self
        switch copy.storage {
        case .v4(var address):
            address.sin_port = port.bigEndian
            copy.storage = .v4(address)
        case .v6(var address):
            address.sin6_port = port.bigEndian
            copy.storage = .v6(address)
        }
        return copy
    }

    /// The IPv6 scope (interface index) of a link-local address; 0 otherwise.
    public var scopeID: UInt32 {
        switch storage {
        case .v4: 0
        case .v6(let address): address.sin6_scope_id
        }
    }

    /// The host part's bytes in network order: 4 for IPv4, 16 for IPv6.
    public var addressBytes: [UInt8] {
        withAddressBytes { Array($0) }
    }

    /// Whether this is `0.0.0.0` or `::`.
    public var isWildcard: Bool {
        withAddressBytes { bytes in bytes.allSatisfy { $0 == 0 } }
    }

    /// Whether this is in `127.0.0.0/8` or is `::1`.
    public var isLoopback: Bool {
        withAddressBytes { bytes in
            bytes.count == 4 ? bytes[0] == 127 : bytes.prefix(15).allSatisfy { $0 == 0 } && bytes[15] == 1
        }
    }

    /// The host alone, as it would appear inside `description`: `127.0.0.1`, `::1`, `fe80::1%eth0`.
    public var host: String {
        switch storage {
        case .v4:
            return withAddressBytes { bytes in bytes.map { String($0) }.joined(separator: ".") }
        case .v6(var address):
            var text = withUnsafeTemporaryAllocation(of: CChar.self, capacity: Int(INET6_ADDRSTRLEN) + 1) { buffer in
                buffer.initialize(repeating: 0)
                guard inet_ntop(AF_INET6, &address.sin6_addr, buffer.baseAddress!, socklen_t(buffer.count)) != nil else {
                    return "?"
                }
                return String(cString: buffer.baseAddress!)
            }
            if address.sin6_scope_id != 0 {
                text += "%" + SocketAddress.interfaceName(address.sin6_scope_id)
            }
            return text
        }
    }

    /// `127.0.0.1:9000` or `[::1]:9000`.
    public var description: String {
        switch storage {
        case .v4: "\(host):\(port)"
        case .v6: "[\(host)]:\(port)"
        }
    }

    // MARK: - Handing to syscalls

    /// Calls `body` with a `sockaddr` pointer and length for this address.
    public func withSockAddr<Result, Failure: Error>(
        _ body: (UnsafePointer<sockaddr>, socklen_t) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        switch storage {
        case .v4(var address):
            return try SocketAddress.withPointer(to: &address, body)
        case .v6(var address):
            return try SocketAddress.withPointer(to: &address, body)
        }
    }

    /// Like `withSockAddr`, but in the form a socket of `socketFamily` accepts: an IPv6
    /// socket is given an IPv4 address as `::ffff:a.b.c.d`, which dual-stack sockets route over IPv4.
    func withSockAddr<Result, Failure: Error>(
        for socketFamily: Family,
        _ body: (UnsafePointer<sockaddr>, socklen_t) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        if socketFamily == .ipv6, case .v4(let address) = storage {
            var mapped = SocketAddress.mappedIPv6(address)
            return try SocketAddress.withPointer(to: &mapped, body)
        }
        return try withSockAddr(body)
    }

    // MARK: - Equality on what identifies an endpoint (not on padding or flow labels)

    public static func == (lhs: SocketAddress, rhs: SocketAddress) -> Bool {
        guard lhs.family == rhs.family, lhs.port == rhs.port, lhs.scopeID == rhs.scopeID else { return false }
        return lhs.withAddressBytes { left in rhs.withAddressBytes { right in left.elementsEqual(right) } }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(family)
        hasher.combine(port)
        hasher.combine(scopeID)
        withAddressBytes { hasher.combine(bytes: $0) }
    }

    // MARK: - Helpers

    /// Calls `body` with the raw host bytes, without allocating.
    public func withAddressBytes<Result>(_ body: (UnsafeRawBufferPointer) -> Result) -> Result {
        switch storage {
        case .v4(let address):
            withUnsafeBytes(of: address.sin_addr) { body($0) }
        case .v6(let address):
            withUnsafeBytes(of: address.sin6_addr) { body($0) }
        }
    }

    private static func withPointer<Address, Result, Failure: Error>(
        to address: inout Address,
        _ body: (UnsafePointer<sockaddr>, socklen_t) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        let length = socklen_t(MemoryLayout<Address>.size)
        return try withUnsafePointer(to: &address) { (pointer) throws(Failure) -> Result in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { (raw) throws(Failure) -> Result in
                try body(raw, length)
            }
        }
    }

    private static func unmappedIPv4(_ address: sockaddr_in6) -> sockaddr_in? {
        withUnsafeBytes(of: address.sin6_addr) { bytes -> sockaddr_in? in
            guard bytes.prefix(10).allSatisfy({ $0 == 0 }), bytes[10] == 0xff, bytes[11] == 0xff else { return nil }
            var v4 = sockaddr_in()
            v4.sin_family = sa_family_t(AF_INET)
            v4.sin_port = address.sin6_port
            withUnsafeMutableBytes(of: &v4.sin_addr) { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[12..<16])) }
            return v4
        }
    }

    private static func mappedIPv6(_ address: sockaddr_in) -> sockaddr_in6 {
        var v6 = sockaddr_in6()
        v6.sin6_family = sa_family_t(AF_INET6)
        v6.sin6_port = address.sin_port
        withUnsafeMutableBytes(of: &v6.sin6_addr) { bytes in
            bytes[10] = 0xff
            bytes[11] = 0xff
            withUnsafeBytes(of: address.sin_addr) { v4 in
                UnsafeMutableRawBufferPointer(rebasing: bytes[12..<16]).copyMemory(from: v4)
            }
        }
        return v6
    }

    private static func interfaceName(_ index: UInt32) -> String {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: Int(IF_NAMESIZE) + 1) { buffer in
            buffer.initialize(repeating: 0)
            guard if_indextoname(index, buffer.baseAddress!) != nil else { return String(index) }
            return String(cString: buffer.baseAddress!)
        }
    }
}
