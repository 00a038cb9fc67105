#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CLIKit

/// An address with its prefix length, as `ip addr add` takes it: `10.77.0.1/24`, `fd00::1/64`.
public struct InterfaceAddress: Hashable, Sendable, CustomStringConvertible {
    /// IPv4 or IPv6.
    public enum Family: String, Sendable {
        case ipv4
        case ipv6
    }

    /// The address family.
    public let family: Family
    /// The address in network byte order: 4 bytes (IPv4) or 16 (IPv6).
    public let bytes: [UInt8]
    /// The prefix length: 0...32 (IPv4) or 0...128 (IPv6).
    public let prefixLength: Int

    /// Side A's default address: 10.77.0.1/24.
    public static let defaultA = InterfaceAddress(ipv4: [10, 77, 0, 1], prefixLength: 24)
    /// Side B's default address: 10.77.0.2/24.
    public static let defaultB = InterfaceAddress(ipv4: [10, 77, 0, 2], prefixLength: 24)

    private init(ipv4 bytes: [UInt8], prefixLength: Int) {
        family = .ipv4
        self.bytes = bytes
        self.prefixLength = prefixLength
    }

    private init(family: Family, bytes: [UInt8], prefixLength: Int) {
        self.family = family
        self.bytes = bytes
        self.prefixLength = prefixLength
    }

    /// Parses `ADDRESS/PREFIX` with a numeric IPv4 or IPv6 address; the prefix is required,
    /// since it decides which peers the side reaches directly.
    public static func parse(_ text: String) throws(ValueError) -> InterfaceAddress {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty else {
            throw ValueError("'\(text)' is not ADDRESS/PREFIX, e.g. 10.77.0.1/24 or fd00::1/64")
        }
        let host = String(parts[0])
        let family: Family
        var bytes: [UInt8]
        if host.contains(":") {
            family = .ipv6
            bytes = [UInt8](repeating: 0, count: 16)
            guard bytes.withUnsafeMutableBytes({ inet_pton(AF_INET6, host, $0.baseAddress) }) == 1 else {
                throw ValueError("'\(host)' is not a numeric IPv6 address (in '\(text)')")
            }
        } else {
            family = .ipv4
            bytes = [UInt8](repeating: 0, count: 4)
            guard bytes.withUnsafeMutableBytes({ inet_pton(AF_INET, host, $0.baseAddress) }) == 1 else {
                throw ValueError("'\(host)' is not a numeric IPv4 address (in '\(text)')")
            }
        }
        let maximum = bytes.count * 8
        guard parts[1].allSatisfy({ $0.isASCII && $0.isNumber }), parts[1].count <= 3,
              let prefix = Int(parts[1]), prefix <= maximum
        else {
            throw ValueError("'\(parts[1])' is not a prefix length from 0 to \(maximum) (in '\(text)')")
        }
        return InterfaceAddress(family: family, bytes: bytes, prefixLength: prefix)
    }

    /// The address alone, in canonical text form (`10.77.0.1`, `fd00::1`).
    public var address: String {
        var text = [CChar](repeating: 0, count: 64)
        let domain = family == .ipv4 ? AF_INET : AF_INET6
        _ = bytes.withUnsafeBytes { inet_ntop(domain, $0.baseAddress, &text, socklen_t(text.count)) }
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// `10.77.0.1/24`.
    public var description: String { "\(address)/\(prefixLength)" }

    /// Whether `other` lies inside this address's prefix, i.e. is reached without a route.
    public func contains(_ other: InterfaceAddress) -> Bool {
        guard other.family == family else { return false }
        var remaining = prefixLength
        for index in bytes.indices where remaining > 0 {
            let bits = min(remaining, 8)
            let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
            if bytes[index] & mask != other.bytes[index] & mask { return false }
            remaining -= bits
        }
        return true
    }

    /// The address as a host route (`/32` or `/128`).
    public var hostRoute: String { "\(address)/\(bytes.count * 8)" }
}
