#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A failed system call: the call's name and the `errno` it left, described in one line.
public struct SystemError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The `errno` value the call reported.
    public let errno: Int32
    /// The name of the failing call, e.g. `sendto`.
    public let call: String

    /// An error as `call` reported it through `errno`.
    public init(errno: Int32, call: String) {
        self.errno = errno
        self.call = call
    }

    /// `sendto: Connection refused (errno 111)`.
    public var description: String {
        "\(call): \(SystemError.message(for: errno)) (errno \(errno))"
    }

    /// The C library's text for an errno value, obtained thread-safely.
    public static func message(for errno: Int32) -> String {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: 256) { buffer in
            buffer.initialize(repeating: 0)
            // Glibc without _GNU_SOURCE and Darwin both give the XSI variant (returns 0 on success).
            guard strerror_r(errno, buffer.baseAddress!, buffer.count) == 0 else {
                return "Unknown error \(errno)"
            }
            return String(cString: buffer.baseAddress!)
        }
    }

    /// ICMP port unreachable seen on a connected UDP socket, or a refused TCP connect.
    public var isConnectionRefused: Bool { errno == ECONNREFUSED }
    /// The local address is already bound by another socket.
    public var isAddressInUse: Bool { errno == EADDRINUSE }
    /// A deadline passed (our bounded TCP connect reports this too).
    public var isTimedOut: Bool { errno == ETIMEDOUT }
    /// The peer reset or closed the connection under us.
    public var isConnectionReset: Bool { errno == ECONNRESET || errno == EPIPE }
    /// No route to the destination network or host.
    public var isUnreachable: Bool { errno == ENETUNREACH || errno == EHOSTUNREACH }
    /// The datagram is larger than the socket or path allows.
    public var isMessageTooLong: Bool { errno == EMSGSIZE }
    /// The address family (typically IPv6) is not supported on this host.
    public var isAddressFamilyUnsupported: Bool { errno == EAFNOSUPPORT }
    /// The operation needs privileges this process does not have.
    public var isPermissionDenied: Bool { errno == EACCES || errno == EPERM }
    /// The process (EMFILE) or the system (ENFILE) has no file descriptor left.
    public var isOutOfDescriptors: Bool { errno == EMFILE || errno == ENFILE }
}
