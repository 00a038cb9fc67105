import SystemKit

/// The relay's sockets for the server's other ports. A server that answers from a new port
/// (TFTP, and many request/response services, give each exchange its own) is followed as a
/// NAT would: its replies reach the client from a relay port of their own, opened for that
/// server port, and what the client sends to that relay port goes to that server port. One
/// socket per server port serves every client (each exchange picks its own port anyway).
///
/// At most `capacity` are open; a new one closes the least recently used, and one silent for
/// the client timeout is closed.
final class ReplySocketTable {
    struct Entry {
        /// The relay-side socket clients see the replies come from.
        let socket: UDPSocket
        /// The server's host at this port, as the upstream sockets send to it.
        let serverDestination: RawSocketAddress
        /// Monotonic ns of the last datagram through this socket or from this server port.
        var lastActivity: UInt64
    }

    /// Reply sockets open at most.
    static let capacity = 256

    private(set) var entries: [UInt16: Entry] = [:]
    /// Reply sockets ever opened.
    private(set) var totalOpened = 0
    /// Set when a socket is opened or closed, so the caller rebuilds its poll set.
    var membershipChanged = false

    /// The entry for `serverPort`, if one is open.
    @inline(__always)
    subscript(serverPort: UInt16) -> Entry? { entries[serverPort] }

    /// Opens the socket for `serverPort` unless it is open: bound to `listenAddress`'s host at a
    /// port the kernel chooses. Returns its local address when it was opened now.
    func open(serverPort: UInt16, listenAddress: SocketAddress, server: SocketAddress, bufferSize: Int,
              now: UInt64) throws(SystemError) -> SocketAddress? {
        guard entries[serverPort] == nil else { return nil }
        if entries.count >= Self.capacity, let oldest = entries.min(by: { $0.value.lastActivity < $1.value.lastActivity }) {
            close(serverPort: oldest.key)
        }
        let socket = try UDPSocket(bindingTo: listenAddress.withPort(0))
        socket.setBufferSizes(send: bufferSize, receive: bufferSize)
        ReceiveSlots.allowCoalescing(on: socket)
        entries[serverPort] = Entry(
            socket: socket, serverDestination: RawSocketAddress(server.withPort(serverPort), forSocketFamily: server.family),
            lastActivity: now)
        totalOpened += 1
        membershipChanged = true
        return socket.localAddress
    }

    @inline(__always)
    func touch(serverPort: UInt16, now: UInt64) {
        entries[serverPort]?.lastActivity = now
    }

    /// Closes the sockets silent since before `cutoff`; returns their server ports.
    func closeSockets(idleSince cutoff: UInt64) -> [UInt16] {
        let idle = entries.filter { $0.value.lastActivity < cutoff }.map(\.key)
        for port in idle { close(serverPort: port) }
        return idle
    }

    /// Closes every socket.
    func removeAll() {
        for port in Array(entries.keys) { close(serverPort: port) }
    }

    private func close(serverPort: UInt16) {
        entries.removeValue(forKey: serverPort)?.socket.close()
        membershipChanged = true
    }
}
