#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// The C functions under names that `Posix`'s own members do not shadow.
private let sysSocket = socket
private let sysBind = bind
private let sysConnect = connect
private let sysListen = listen
private let sysAccept = accept
private let sysSendTo = sendto
private let sysRecvFrom = recvfrom
private let sysSend = send
private let sysRecv = recv
private let sysRead = read
private let sysWrite = write
private let sysClose = close
private let sysPoll = poll
private let sysSetSockOpt = setsockopt
private let sysGetSockOpt = getsockopt
private let sysGetSockName = getsockname
private let sysGetPeerName = getpeername
private let sysShutdown = shutdown

/// Each system call the drivers use, wrapped once: EINTR is retried, EAGAIN/EWOULDBLOCK
/// becomes `nil` where it is a normal outcome, anything else throws `SystemError`.
public enum Posix {
    // MARK: - The two shapes every wrapper takes

    /// Runs `body` until it is not interrupted; `-1` throws with the errno read
    /// immediately after the call, before anything else can overwrite it.
    @inline(__always)
    static func retrying<Result: FixedWidthInteger>(
        _ call: String, _ body: () -> Result
    ) throws(SystemError) -> Result {
        while true {
            let result = body()
            if result != -1 { return result }
            let code = errno
            if code == EINTR { continue }
            throw SystemError(errno: code, call: call)
        }
    }

    /// Like `retrying`, but a call that would block on a non-blocking descriptor returns nil.
    @inline(__always)
    static func retryingUnlessWouldBlock<Result: FixedWidthInteger>(
        _ call: String, _ body: () -> Result
    ) throws(SystemError) -> Result? {
        while true {
            let result = body()
            if result != -1 { return result }
            let code = errno
            if code == EINTR { continue }
            if code == EAGAIN || code == EWOULDBLOCK { return nil }
            throw SystemError(errno: code, call: call)
        }
    }

    // MARK: - Descriptors

    /// `socket(2)`; the descriptor is created non-blocking and close-on-exec.
    public static func socket(domain: Int32, type: Int32, protocol: Int32 = 0) throws(SystemError) -> Int32 {
        #if os(Linux)
        let flags = SocketConstants.nonBlockingFlag | SocketConstants.closeOnExecFlag
        return try retrying("socket") { sysSocket(domain, type | flags, `protocol`) }
        #else
        let fd = try retrying("socket") { sysSocket(domain, type, `protocol`) }
        do {
            try setNonBlocking(fd, true)
            try setCloseOnExec(fd)
        } catch {
            try? close(fd)
            throw error
        }
        return fd
        #endif
    }

    /// `close(2)`. Never retried: on Linux the descriptor is gone even when EINTR is reported,
    /// and a retry could close a descriptor another thread has just been given.
    public static func close(_ fd: Int32) throws(SystemError) {
        if sysClose(fd) == -1 {
            let code = errno
            if code == EINTR { return }
            throw SystemError(errno: code, call: "close")
        }
    }

    /// `fcntl(2)` with an integer argument.
    @discardableResult
    public static func fcntl(_ fd: Int32, _ command: Int32, _ argument: Int32 = 0) throws(SystemError) -> Int32 {
        #if canImport(Glibc)
        return try retrying("fcntl") { Glibc.fcntl(fd, command, argument) }
        #else
        return try retrying("fcntl") { Darwin.fcntl(fd, command, argument) }
        #endif
    }

    /// Turns `O_NONBLOCK` on or off.
    public static func setNonBlocking(_ fd: Int32, _ nonBlocking: Bool) throws(SystemError) {
        let flags = try fcntl(fd, F_GETFL)
        let wanted = nonBlocking ? flags | O_NONBLOCK : flags & ~O_NONBLOCK
        if wanted != flags { try fcntl(fd, F_SETFL, wanted) }
    }

    /// Whether `O_NONBLOCK` is set.
    public static func isNonBlocking(_ fd: Int32) throws(SystemError) -> Bool {
        try fcntl(fd, F_GETFL) & O_NONBLOCK != 0
    }

    /// Sets `FD_CLOEXEC` so that programs we spawn do not inherit the descriptor.
    public static func setCloseOnExec(_ fd: Int32) throws(SystemError) {
        let flags = try fcntl(fd, F_GETFD)
        if flags & FD_CLOEXEC == 0 { try fcntl(fd, F_SETFD, flags | FD_CLOEXEC) }
    }

    // MARK: - Addresses and connections

    /// `bind(2)`.
    public static func bind(_ fd: Int32, _ address: UnsafePointer<sockaddr>, _ length: socklen_t) throws(SystemError) {
        _ = try retrying("bind") { sysBind(fd, address, length) }
    }

    /// `connect(2)`: true once connected, false when a non-blocking connect is in progress
    /// (poll for writability, then read `SO_ERROR`).
    public static func connect(_ fd: Int32, _ address: UnsafePointer<sockaddr>, _ length: socklen_t) throws(SystemError) -> Bool {
        if sysConnect(fd, address, length) == 0 { return true }
        let code = errno
        // An interrupted connect carries on in the background, just like EINPROGRESS.
        if code == EINPROGRESS || code == EINTR { return false }
        throw SystemError(errno: code, call: "connect")
    }

    /// `listen(2)`.
    public static func listen(_ fd: Int32, backlog: Int32) throws(SystemError) {
        _ = try retrying("listen") { sysListen(fd, backlog) }
    }

    /// `accept(2)`: the new descriptor (close-on-exec, blocking), or nil when none is pending.
    /// A connection that was aborted while queued is skipped, as it is no failure of ours.
    public static func accept(
        _ fd: Int32, _ address: UnsafeMutablePointer<sockaddr>?, _ length: UnsafeMutablePointer<socklen_t>?
    ) throws(SystemError) -> Int32? {
        while true {
            let result = sysAccept(fd, address, length)
            if result >= 0 {
                do {
                    try setCloseOnExec(result)
                } catch {
                    try? close(result)
                    throw error
                }
                return result
            }
            let code = errno
            if code == EINTR || code == ECONNABORTED || code == EPROTO { continue }
            if code == EAGAIN || code == EWOULDBLOCK { return nil }
            throw SystemError(errno: code, call: "accept")
        }
    }

    /// `shutdown(2)`; `how` is `SHUT_RD`, `SHUT_WR` or `SHUT_RDWR`.
    public static func shutdown(_ fd: Int32, how: Int32) throws(SystemError) {
        _ = try retrying("shutdown") { sysShutdown(fd, how) }
    }

    /// `getsockname(2)`.
    public static func getsockname(
        _ fd: Int32, _ address: UnsafeMutablePointer<sockaddr>, _ length: UnsafeMutablePointer<socklen_t>
    ) throws(SystemError) {
        _ = try retrying("getsockname") { sysGetSockName(fd, address, length) }
    }

    /// `getpeername(2)`.
    public static func getpeername(
        _ fd: Int32, _ address: UnsafeMutablePointer<sockaddr>, _ length: UnsafeMutablePointer<socklen_t>
    ) throws(SystemError) {
        _ = try retrying("getpeername") { sysGetPeerName(fd, address, length) }
    }

    // MARK: - Data

    /// `sendto(2)`: bytes sent, or nil when the socket buffer is full.
    public static func sendto(
        _ fd: Int32, _ bytes: UnsafeRawBufferPointer, flags: Int32,
        _ address: UnsafePointer<sockaddr>?, _ length: socklen_t
    ) throws(SystemError) -> Int? {
        try retryingUnlessWouldBlock("sendto") { sysSendTo(fd, bytes.baseAddress, bytes.count, flags, address, length) }
    }

    /// `recvfrom(2)`: bytes received, or nil when nothing is queued.
    public static func recvfrom(
        _ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer, flags: Int32,
        _ address: UnsafeMutablePointer<sockaddr>?, _ length: UnsafeMutablePointer<socklen_t>?
    ) throws(SystemError) -> Int? {
        try retryingUnlessWouldBlock("recvfrom") { sysRecvFrom(fd, buffer.baseAddress, buffer.count, flags, address, length) }
    }

    /// `send(2)` on a connected socket: bytes sent, or nil when the socket buffer is full.
    public static func send(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, flags: Int32) throws(SystemError) -> Int? {
        try retryingUnlessWouldBlock("send") { sysSend(fd, bytes.baseAddress, bytes.count, flags) }
    }

    /// `recv(2)` on a connected socket: bytes received (0 is end of stream), or nil when none are ready.
    public static func recv(_ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer, flags: Int32) throws(SystemError) -> Int? {
        try retryingUnlessWouldBlock("recv") { sysRecv(fd, buffer.baseAddress, buffer.count, flags) }
    }

    /// `read(2)`: bytes read (0 is end of file), or nil when a non-blocking descriptor has none.
    public static func read(_ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer) throws(SystemError) -> Int? {
        try retryingUnlessWouldBlock("read") { sysRead(fd, buffer.baseAddress, buffer.count) }
    }

    /// `write(2)`: bytes written, or nil when a non-blocking descriptor is full.
    public static func write(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) throws(SystemError) -> Int? {
        try retryingUnlessWouldBlock("write") { sysWrite(fd, bytes.baseAddress, bytes.count) }
    }

    // MARK: - Waiting

    /// `poll(2)`: the number of descriptors with events, or nil when a signal interrupted
    /// the wait, so that the caller can recompute its timeout from its own deadline.
    public static func poll(
        _ fds: UnsafeMutablePointer<pollfd>, count: Int, timeoutMilliseconds: Int32
    ) throws(SystemError) -> Int? {
        let result = sysPoll(fds, nfds_t(count), timeoutMilliseconds)
        if result >= 0 { return Int(result) }
        let code = errno
        if code == EINTR { return nil }
        throw SystemError(errno: code, call: "poll")
    }

    // MARK: - Options

    /// `setsockopt(2)` with a raw value.
    public static func setsockopt(
        _ fd: Int32, level: Int32, name: Int32, _ value: UnsafeRawPointer, _ length: socklen_t
    ) throws(SystemError) {
        _ = try retrying("setsockopt") { sysSetSockOpt(fd, level, name, value, length) }
    }

    /// `getsockopt(2)` with a raw value.
    public static func getsockopt(
        _ fd: Int32, level: Int32, name: Int32,
        _ value: UnsafeMutableRawPointer, _ length: UnsafeMutablePointer<socklen_t>
    ) throws(SystemError) {
        _ = try retrying("getsockopt") { sysGetSockOpt(fd, level, name, value, length) }
    }

    /// Sets an `int`-valued socket option.
    public static func setOption(_ fd: Int32, level: Int32, name: Int32, _ value: Int32) throws(SystemError) {
        var value = value
        try setsockopt(fd, level: level, name: name, &value, socklen_t(MemoryLayout<Int32>.size))
    }

    /// Reads an `int`-valued socket option.
    public static func option(_ fd: Int32, level: Int32, name: Int32) throws(SystemError) -> Int32 {
        var value: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        try getsockopt(fd, level: level, name: name, &value, &length)
        return value
    }
}
