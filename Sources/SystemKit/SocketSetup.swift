#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The steps UDP and TCP sockets share: open, make dual-stack, bind, ask the kernel for addresses.
public enum SocketSetup {
    /// A non-blocking, close-on-exec socket of `family` and `type` (`SocketConstants.datagram`/`.stream`).
    public static func open(_ family: SocketAddress.Family, type: Int32) throws(SystemError) -> Int32 {
        let fd = try Posix.socket(domain: family.domain, type: type)
        #if canImport(Darwin)
        // Darwin has no MSG_NOSIGNAL: a write to a reset connection must not raise SIGPIPE.
        try? Posix.setOption(fd, level: SOL_SOCKET, name: SO_NOSIGPIPE, 1)
        #endif
        return fd
    }

    /// Opens a socket and binds it to `address`. The IPv6 wildcard is made dual-stack
    /// (`IPV6_V6ONLY` off) so that `[::]:PORT` also receives IPv4, whatever the system default.
    public static func openBound(
        to address: SocketAddress, type: Int32, reuseAddress: Bool
    ) throws(SystemError) -> Int32 {
        let fd = try open(address.family, type: type)
        do {
            if reuseAddress {
                try Posix.setOption(fd, level: SOL_SOCKET, name: SO_REUSEADDR, 1)
            }
            if address.family == .ipv6 && address.isWildcard {
                try Posix.setOption(fd, level: SocketConstants.ipv6Level, name: IPV6_V6ONLY, 0)
            }
            try address.withSockAddr { (pointer, length) throws(SystemError) in
                try Posix.bind(fd, pointer, length)
            }
            return fd
        } catch {
            try? Posix.close(fd)
            throw error
        }
    }

    /// Connects `fd` to `peer`: true when done at once, false when a non-blocking connect is under way.
    public static func connect(_ fd: Int32, family: SocketAddress.Family, to peer: SocketAddress) throws(SystemError) -> Bool {
        try peer.withSockAddr(for: family) { (pointer, length) throws(SystemError) in
            try Posix.connect(fd, pointer, length)
        }
    }

    /// The address the socket is bound to (`getsockname`).
    public static func localAddress(of fd: Int32) throws(SystemError) -> SocketAddress {
        try queryAddress("getsockname") { (pointer, length) throws(SystemError) in
            try Posix.getsockname(fd, pointer, length)
        }
    }

    /// The address of the connected peer (`getpeername`).
    public static func peerAddress(of fd: Int32) throws(SystemError) -> SocketAddress {
        try queryAddress("getpeername") { (pointer, length) throws(SystemError) in
            try Posix.getpeername(fd, pointer, length)
        }
    }

    private static func queryAddress(
        _ call: String,
        _ body: (UnsafeMutablePointer<sockaddr>, UnsafeMutablePointer<socklen_t>) throws(SystemError) -> Void
    ) throws(SystemError) -> SocketAddress {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let address: SocketAddress? = try withUnsafeMutablePointer(to: &storage) { (pointer) throws(SystemError) -> SocketAddress? in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { (raw) throws(SystemError) -> SocketAddress? in
                try body(raw, &length)
                return SocketAddress(rawSockAddr: raw, length: length)
            }
        }
        guard let address else { throw SystemError(errno: EAFNOSUPPORT, call: call) }
        return address
    }
}
