#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import RUDPNet
import SystemKit

/// A destination in the exact `sockaddr` form one socket's `sendmsg` takes, computed once per
/// client instead of per datagram: an IPv4 client of a dual-stack IPv6 socket becomes
/// `::ffff:a.b.c.d`.
struct RawSocketAddress {
    var storage = sockaddr_storage()
    var length: socklen_t = 0

    /// `address` as a socket of `socketFamily` must be given it.
    init(_ address: SocketAddress, forSocketFamily socketFamily: SocketAddress.Family) {
        if socketFamily == .ipv6 && address.family == .ipv4 {
            var mapped = sockaddr_in6()
            mapped.sin6_family = sa_family_t(AF_INET6)
            mapped.sin6_port = address.port.bigEndian
            let octets = address.addressBytes
            withUnsafeMutableBytes(of: &mapped.sin6_addr) { bytes in
                bytes[10] = 0xff
                bytes[11] = 0xff
                for index in 0..<4 { bytes[12 + index] = octets[index] }
            }
            length = socklen_t(MemoryLayout<sockaddr_in6>.size)
            withUnsafeMutableBytes(of: &storage) { target in
                withUnsafeBytes(of: mapped) { target.copyMemory(from: $0) }
            }
            return
        }
        var storage = sockaddr_storage()
        length = address.withSockAddr { pointer, length in
            withUnsafeMutableBytes(of: &storage) { target in
                target.copyMemory(from: UnsafeRawBufferPointer(start: pointer, count: Int(length)))
            }
            return length
        }
        self.storage = storage
    }
}
