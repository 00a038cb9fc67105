#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A non-blocking TCP listening socket. `[::]:PORT` is dual-stack, like `UDPSocket`.
///
/// TCP and UDP ports are separate name spaces, so a listener can share its port number
/// with the `UDPSocket` of the same receiver.
public final class TCPListener: @unchecked Sendable {
    /// The descriptor, for polling (readable = a connection is waiting); -1 once closed.
    public private(set) var fileDescriptor: Int32
    /// The bound address, with the port the kernel chose if 0 was asked for.
    public let localAddress: SocketAddress

    /// Binds to `address` (with `SO_REUSEADDR`, so a restarted receiver does not wait out
    /// TIME_WAIT) and starts listening.
    public init(bindingTo address: SocketAddress, backlog: Int32 = 128) throws(SystemError) {
        let fd = try SocketSetup.openBound(to: address, type: SocketConstants.stream, reuseAddress: true)
        do {
            try Posix.listen(fd, backlog: backlog)
            localAddress = try SocketSetup.localAddress(of: fd)
        } catch {
            try? Posix.close(fd)
            throw error
        }
        fileDescriptor = fd
    }

    deinit { close() }

    /// The next pending connection, as a stream in the mode asked for; nil when none is waiting.
    public func accept(blocking: Bool = false) throws(SystemError) -> TCPStream? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let fd = fileDescriptor
        let accepted = try withUnsafeMutablePointer(to: &storage) { (pointer) throws(SystemError) -> (Int32, SocketAddress?)? in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { (raw) throws(SystemError) -> (Int32, SocketAddress?)? in
                guard let connection = try Posix.accept(fd, raw, &length) else { return nil }
                return (connection, SocketAddress(rawSockAddr: raw, length: length))
            }
        }
        guard let (connection, peer) = accepted else { return nil }
        #if canImport(Darwin)
        try? Posix.setOption(connection, level: SOL_SOCKET, name: SO_NOSIGPIPE, 1)
        #endif
        guard let peer else {
            try? Posix.close(connection)
            throw SystemError(errno: EAFNOSUPPORT, call: "accept")
        }
        return try TCPStream(adopting: connection, peer: peer, blocking: blocking)
    }

    /// Stops listening; later calls do nothing.
    public func close() {
        guard fileDescriptor >= 0 else { return }
        try? Posix.close(fileDescriptor)
        fileDescriptor = -1
    }
}
