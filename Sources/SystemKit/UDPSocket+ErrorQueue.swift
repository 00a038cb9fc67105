#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension UDPSocket {
    /// Asks the kernel to report ICMP errors (port unreachable…) about datagrams this socket
    /// sent even though it is not connected: the next `receive` then fails with the error
    /// (ECONNREFUSED for port unreachable) and the report waits in the socket's error queue,
    /// which `discardQueuedErrors` empties. Linux only; elsewhere it does nothing and returns
    /// false, and such errors stay unreported as for any unconnected socket.
    @discardableResult
    public func reportErrors() -> Bool {
        #if os(Linux)
        let (level, name) = family == .ipv4 ? (Int32(IPPROTO_IP), Int32(IP_RECVERR)) : (Int32(IPPROTO_IPV6), Int32(IPV6_RECVERR))
        return (try? Posix.setOption(fileDescriptor, level: level, name: name, 1)) != nil
        #else
        return false
        #endif
    }

    /// Takes the socket's pending error (SO_ERROR, cleared by reading it: ECONNREFUSED for a
    /// port unreachable) and removes every report waiting in its error queue; returns how many
    /// reports there were and that error (nil if none was pending). Must follow an error or a
    /// poll that said `.error`: while a report waits, poll keeps saying so (and the reports
    /// hold receive-buffer memory).
    public func discardQueuedErrors() -> (reports: Int, error: SystemError?) {
        #if os(Linux)
        var code: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        let fd = fileDescriptor
        _ = try? Posix.getsockopt(fd, level: SOL_SOCKET, name: SO_ERROR, &code, &length)
        var reports = 0
        var scratch: UInt64 = 0
        while reports < 4096, withUnsafeMutableBytes(of: &scratch, { buffer in
            (try? Posix.recv(fd, buffer, flags: Int32(MSG_ERRQUEUE) | Int32(MSG_DONTWAIT))) ?? nil
        }) != nil {
            reports += 1
        }
        return (reports, code == 0 ? nil : SystemError(errno: code, call: "recvmsg"))
        #else
        return (0, nil)
        #endif
    }
}
