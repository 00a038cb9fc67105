#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A non-blocking UDP socket, bound to a local address or connected to one peer.
///
/// Calls are not synchronised: use it from one thread at a time (handing it to another
/// thread is fine). Sending and receiving do not allocate.
public final class UDPSocket: @unchecked Sendable {
    /// Socket buffer sizes as the kernel reports them (Linux reports twice the requested
    /// value, the extra half being its bookkeeping allowance).
    public struct BufferSizes: Hashable, Sendable {
        /// `SO_SNDBUF` in bytes.
        public var send: Int
        /// `SO_RCVBUF` in bytes.
        public var receive: Int
    }

    /// The descriptor, for polling; -1 once closed.
    public private(set) var fileDescriptor: Int32
    /// The family of the socket itself (an IPv6 socket may still talk to IPv4 peers).
    public let family: SocketAddress.Family
    /// The bound address, with the port the kernel chose if 0 was asked for.
    public let localAddress: SocketAddress
    /// The peer of a connected socket; nil for a bound one.
    public let remoteAddress: SocketAddress?

    /// Binds to `address`. `[::]:PORT` is dual-stack: it also receives IPv4 datagrams.
    public convenience init(bindingTo address: SocketAddress) throws(SystemError) {
        let fd = try SocketSetup.openBound(to: address, type: SocketConstants.datagram, reuseAddress: false)
        try self.init(adopting: fd, family: address.family, remoteAddress: nil)
    }

    /// Connects to `peer`: only its datagrams are received, and an ICMP port unreachable
    /// comes back as ECONNREFUSED on a later `send` or `receive` (`SystemError.isConnectionRefused`),
    /// which lets a sender fail fast when nothing listens.
    public convenience init(connectedTo peer: SocketAddress) throws(SystemError) {
        let fd = try SocketSetup.open(peer.family, type: SocketConstants.datagram)
        do {
            _ = try SocketSetup.connect(fd, family: peer.family, to: peer)
        } catch {
            try? Posix.close(fd)
            throw error
        }
        try self.init(adopting: fd, family: peer.family, remoteAddress: peer)
    }

    /// Takes over the bound or connected `fd`, closing it if its local address cannot be read.
    private init(adopting fd: Int32, family: SocketAddress.Family, remoteAddress: SocketAddress?) throws(SystemError) {
        do {
            localAddress = try SocketSetup.localAddress(of: fd)
        } catch {
            try? Posix.close(fd)
            throw error
        }
        fileDescriptor = fd
        self.family = family
        self.remoteAddress = remoteAddress
    }

    deinit { close() }

    /// Sends one datagram to `destination`; false when the socket buffer is full (poll for writable).
    public func send(_ bytes: UnsafeRawBufferPointer, to destination: SocketAddress) throws(SystemError) -> Bool {
        let fd = fileDescriptor
        let sent = try destination.withSockAddr(for: family) { (pointer, length) throws(SystemError) in
            try Posix.sendto(fd, bytes, flags: 0, pointer, length)
        }
        return sent != nil
    }

    /// Sends one datagram to the connected peer; false when the socket buffer is full.
    public func send(_ bytes: UnsafeRawBufferPointer) throws(SystemError) -> Bool {
        try Posix.send(fileDescriptor, bytes, flags: 0) != nil
    }

    /// Receives one datagram into `buffer` (a longer datagram is truncated to fit);
    /// nil when none is queued.
    public func receive(into buffer: UnsafeMutableRawBufferPointer) throws(SystemError) -> (count: Int, from: SocketAddress)? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let fd = fileDescriptor
        return try withUnsafeMutablePointer(to: &storage) { (pointer) throws(SystemError) -> (count: Int, from: SocketAddress)? in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { (raw) throws(SystemError) -> (count: Int, from: SocketAddress)? in
                guard let count = try Posix.recvfrom(fd, buffer, flags: 0, raw, &length) else { return nil }
                // A connected socket may not be told the sender; it can only be the peer.
                guard let from = SocketAddress(rawSockAddr: raw, length: length) ?? remoteAddress else {
                    throw SystemError(errno: EAFNOSUPPORT, call: "recvfrom")
                }
                return (count, from)
            }
        }
    }

    /// Asks for socket buffers of the given sizes, best effort: beyond the system limit
    /// (`net.core.rmem_max`) it tries the privileged `SO_*BUFFORCE` first, then takes what
    /// the kernel grants. Returns the sizes actually in effect.
    @discardableResult
    public func setBufferSizes(send: Int?, receive: Int?) -> BufferSizes {
        if let send { requestBuffer(size: send, forced: UDPSocket.forcedSendBuffer, plain: SO_SNDBUF) }
        if let receive { requestBuffer(size: receive, forced: UDPSocket.forcedReceiveBuffer, plain: SO_RCVBUF) }
        return (try? bufferSizes()) ?? BufferSizes(send: 0, receive: 0)
    }

    /// The current socket buffer sizes.
    public func bufferSizes() throws(SystemError) -> BufferSizes {
        BufferSizes(
            send: Int(try Posix.option(fileDescriptor, level: SOL_SOCKET, name: SO_SNDBUF)),
            receive: Int(try Posix.option(fileDescriptor, level: SOL_SOCKET, name: SO_RCVBUF))
        )
    }

    /// Closes the socket; later calls do nothing.
    public func close() {
        guard fileDescriptor >= 0 else { return }
        try? Posix.close(fileDescriptor)
        fileDescriptor = -1
    }

    private func requestBuffer(size: Int, forced: Int32?, plain: Int32) {
        let value = Int32(clamping: size)
        if let forced, (try? Posix.setOption(fileDescriptor, level: SOL_SOCKET, name: forced, value)) != nil {
            return
        }
        try? Posix.setOption(fileDescriptor, level: SOL_SOCKET, name: plain, value)
    }

    #if os(Linux)
    private static let forcedSendBuffer: Int32? = SO_SNDBUFFORCE
    private static let forcedReceiveBuffer: Int32? = SO_RCVBUFFORCE
    #else
    private static let forcedSendBuffer: Int32? = nil
    private static let forcedReceiveBuffer: Int32? = nil
    #endif
}
