#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Platform constants whose imported C types differ between Glibc and Darwin, as plain `Int32`.
public enum SocketConstants {
    #if canImport(Glibc)
    public static let datagram = Int32(SOCK_DGRAM.rawValue)
    public static let stream = Int32(SOCK_STREAM.rawValue)
    public static let nonBlockingFlag = Int32(SOCK_NONBLOCK.rawValue)
    public static let closeOnExecFlag = Int32(SOCK_CLOEXEC.rawValue)
    public static let udpProtocol = Int32(IPPROTO_UDP)
    public static let tcpProtocol = Int32(IPPROTO_TCP)
    public static let ipv6Level = Int32(IPPROTO_IPV6)
    public static let shutdownWrite = Int32(SHUT_WR)
    /// Writing to a reset TCP connection must fail with EPIPE, not kill the process.
    public static let noSignalFlag = Int32(MSG_NOSIGNAL)
    #else
    public static let datagram = SOCK_DGRAM
    public static let stream = SOCK_STREAM
    public static let udpProtocol = IPPROTO_UDP
    public static let tcpProtocol = IPPROTO_TCP
    public static let ipv6Level = IPPROTO_IPV6
    public static let shutdownWrite = SHUT_WR
    /// Darwin has no MSG_NOSIGNAL; sockets get SO_NOSIGPIPE instead.
    public static let noSignalFlag: Int32 = 0
    #endif
}
