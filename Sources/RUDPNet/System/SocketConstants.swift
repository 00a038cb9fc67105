#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Platform constants whose imported C types differ between Glibc and Darwin, as plain `Int32`.
enum SocketConstants {
    #if canImport(Glibc)
    static let datagram = Int32(SOCK_DGRAM.rawValue)
    static let stream = Int32(SOCK_STREAM.rawValue)
    static let nonBlockingFlag = Int32(SOCK_NONBLOCK.rawValue)
    static let closeOnExecFlag = Int32(SOCK_CLOEXEC.rawValue)
    static let udpProtocol = Int32(IPPROTO_UDP)
    static let tcpProtocol = Int32(IPPROTO_TCP)
    static let ipv6Level = Int32(IPPROTO_IPV6)
    static let shutdownWrite = Int32(SHUT_WR)
    /// Writing to a reset TCP connection must fail with EPIPE, not kill the process.
    static let noSignalFlag = Int32(MSG_NOSIGNAL)
    #else
    static let datagram = SOCK_DGRAM
    static let stream = SOCK_STREAM
    static let udpProtocol = IPPROTO_UDP
    static let tcpProtocol = IPPROTO_TCP
    static let ipv6Level = IPPROTO_IPV6
    static let shutdownWrite = SHUT_WR
    /// Darwin has no MSG_NOSIGNAL; sockets get SO_NOSIGPIPE instead.
    static let noSignalFlag: Int32 = 0
    #endif
}
