#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A connected TCP socket, blocking or non-blocking (settable), for the TCP baseline.
///
/// Calls are not synchronised: use it from one thread at a time. Writes never raise
/// SIGPIPE; a reset connection throws instead (`SystemError.isConnectionReset`).
public final class TCPStream: @unchecked Sendable {
    /// The descriptor, for polling; -1 once closed.
    public private(set) var fileDescriptor: Int32
    /// The other end of the connection.
    public let peerAddress: SocketAddress
    /// This end of the connection.
    public let localAddress: SocketAddress
    /// Whether calls wait (true) or return nil when they cannot proceed (false).
    public private(set) var isBlocking: Bool

    /// Takes ownership of a connected descriptor.
    public init(adopting fd: Int32, peer: SocketAddress, blocking: Bool) throws(SystemError) {
        do {
            try Posix.setNonBlocking(fd, !blocking)
            localAddress = try SocketSetup.localAddress(of: fd)
        } catch {
            try? Posix.close(fd)
            throw error
        }
        fileDescriptor = fd
        peerAddress = peer
        isBlocking = blocking
    }

    deinit { close() }

    /// Connects to `peer`, giving up after `timeout` with ETIMEDOUT (`SystemError.isTimedOut`);
    /// a refused connection throws ECONNREFUSED. The stream starts in the mode asked for.
    public static func connect(to peer: SocketAddress, timeout: Duration, blocking: Bool = true) throws(SystemError) -> TCPStream {
        do {
            return try connect(to: peer, deadline: MonotonicClock.now() &+ nanoseconds(timeout), blocking: blocking)
        } catch {
            // Without an interrupt descriptor every failure is a system call's.
            throw error.systemError ?? SystemError(errno: EINTR, call: "connect")
        }
    }

    /// Switches between blocking and non-blocking calls.
    public func setBlocking(_ blocking: Bool) throws(SystemError) {
        try Posix.setNonBlocking(fileDescriptor, !blocking)
        isBlocking = blocking
    }

    /// Turns Nagle's algorithm off (true) so small writes leave at once, or back on.
    public func setNoDelay(_ enabled: Bool) throws(SystemError) {
        try Posix.setOption(fileDescriptor, level: SocketConstants.tcpProtocol, name: TCP_NODELAY, enabled ? 1 : 0)
    }

    /// Reads what is available into `buffer`: the byte count, 0 at end of stream, or nil
    /// when a non-blocking stream has nothing yet.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(SystemError) -> Int? {
        try Posix.recv(fileDescriptor, buffer, flags: 0)
    }

    /// Writes some of `bytes`: the count written, or nil when a non-blocking stream is full.
    public func write(_ bytes: UnsafeRawBufferPointer) throws(SystemError) -> Int? {
        try Posix.send(fileDescriptor, bytes, flags: SocketConstants.noSignalFlag)
    }

    /// Writes all of `bytes`, waiting for room when the stream is non-blocking.
    public func writeAll(_ bytes: UnsafeRawBufferPointer) throws(SystemError) {
        var offset = 0
        while offset < bytes.count {
            let rest = UnsafeRawBufferPointer(rebasing: bytes[offset...])
            if let written = try write(rest) {
                offset += written
            } else {
                _ = try wait(for: .writable, until: nil)
            }
        }
    }

    /// Waits until the stream is readable or writable as asked, or `deadline` (monotonic ns)
    /// passes; nil waits without limit. False means the deadline passed.
    public func wait(for interest: PollEvents, until deadline: UInt64?) throws(SystemError) -> Bool {
        try !Poller.wait(for: fileDescriptor, interest: interest, until: deadline).isEmpty
    }

    /// Sends FIN: the peer reads end of stream, and this side can still read its reply.
    public func shutdownWrite() throws(SystemError) {
        try Posix.shutdown(fileDescriptor, how: SocketConstants.shutdownWrite)
    }

    /// Closes the stream; later calls do nothing.
    public func close() {
        guard fileDescriptor >= 0 else { return }
        try? Posix.close(fileDescriptor)
        fileDescriptor = -1
    }

    private static func nanoseconds(_ duration: Duration) -> UInt64 {
        let (seconds, attoseconds) = duration.components
        guard seconds >= 0 else { return 0 }
        let whole = UInt64(seconds).multipliedReportingOverflow(by: 1_000_000_000)
        if whole.overflow { return UInt64.max / 2 }
        return whole.partialValue &+ UInt64(max(0, attoseconds) / 1_000_000_000)
    }
}
