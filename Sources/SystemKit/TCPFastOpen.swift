#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// TCP Fast Open (RFC 7413) on Linux: a client holding a cookie from an earlier connection to
/// the server sends its first bytes in the SYN, and the server hands them to its application
/// before the handshake completes. Needs `net.ipv4.tcp_fastopen` with bit 0 (client) and bit 1
/// (server) set; elsewhere the options fail with ENOPROTOOPT.
public enum TCPFastOpen {
    /// `TCP_FASTOPEN` (linux/tcp.h): on a listener, how many Fast Open requests may wait to be accepted.
    static let listenerOption: Int32 = 23
    /// `TCP_FASTOPEN_CONNECT` (linux/tcp.h, Linux 4.11): `connect` returns at once when a cookie
    /// is cached and the first write goes in the SYN; without a cookie the SYN asks for one and
    /// the write waits for the handshake, as for plain TCP.
    static let connectOption: Int32 = 30

    /// Sets `TCP_FASTOPEN_CONNECT` on the unconnected TCP socket `fd`.
    static func enableConnect(on fd: Int32) throws(SystemError) {
        #if os(Linux)
        try Posix.setOption(fd, level: SocketConstants.tcpProtocol, name: connectOption, 1)
        #else
        throw SystemError(errno: ENOPROTOOPT, call: "setsockopt")
        #endif
    }
}

extension TCPListener {
    /// Accepts Fast Open SYNs: their data is readable as soon as the connection is accepted, and
    /// the SYN-ACK hands new clients a cookie. `queueLength` bounds the requests not yet accepted.
    public func enableFastOpen(queueLength: Int32 = 16) throws(SystemError) {
        #if os(Linux)
        try Posix.setOption(fileDescriptor, level: SocketConstants.tcpProtocol, name: TCPFastOpen.listenerOption, queueLength)
        #else
        throw SystemError(errno: ENOPROTOOPT, call: "setsockopt")
        #endif
    }
}
