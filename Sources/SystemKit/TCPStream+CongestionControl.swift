#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The kernel's TCP congestion control: which algorithm a connection uses (`TCP_CONGESTION`)
/// and which one new connections get. Linux only; elsewhere the names are unknown (nil) and
/// choosing one fails with ENOPROTOOPT.
public enum TCPCongestionControl {
    /// `TCP_CONGESTION` (linux/tcp.h), which Glibc's headers do not name.
    static let option: Int32 = 13
    /// The longest algorithm name the kernel keeps (TCP_CA_NAME_MAX).
    static let maxNameLength = 16

    /// The system default for new connections (`net.ipv4.tcp_congestion_control`), read from
    /// /proc; nil where there is none.
    public static var systemDefault: String? {
        firstLine(of: "/proc/sys/net/ipv4/tcp_congestion_control")
    }

    /// The algorithms the kernel has now (`net.ipv4.tcp_available_congestion_control`).
    public static var available: [String] {
        firstLine(of: "/proc/sys/net/ipv4/tcp_available_congestion_control")?.split(separator: " ").map(String.init) ?? []
    }

    /// Fails as `TCPStream.setCongestionControl(name)` would, without opening a connection: on
    /// a TCP socket of `family` that is closed at once (so a peer never sees a connection that
    /// could not be set up).
    public static func check(_ name: String, family: SocketAddress.Family) throws(SystemError) {
        let fd = try SocketSetup.open(family, type: SocketConstants.stream)
        defer { try? Posix.close(fd) }
        try set(name, on: fd)
    }

    /// Sets `TCP_CONGESTION` on the TCP socket `fd`.
    static func set(_ name: String, on fd: Int32) throws(SystemError) {
        #if os(Linux)
        var bytes = Array(name.utf8)
        guard bytes.count < maxNameLength else { throw SystemError(errno: ENAMETOOLONG, call: "setsockopt") }
        bytes.append(0)
        let failure = bytes.withUnsafeBytes { raw -> SystemError? in
            do throws(SystemError) {
                try Posix.setsockopt(fd, level: SocketConstants.tcpProtocol, name: option, raw.baseAddress!, socklen_t(raw.count))
                return nil
            } catch {
                return error
            }
        }
        if let failure { throw failure }
        #else
        throw SystemError(errno: ENOPROTOOPT, call: "setsockopt")
        #endif
    }

    private static func firstLine(of path: String) -> String? {
        guard let file = fopen(path, "r") else { return nil }
        defer { fclose(file) }
        var buffer = [CChar](repeating: 0, count: 512)
        guard fgets(&buffer, Int32(buffer.count), file) != nil else { return nil }
        let line = String(decoding: buffer.prefix { $0 != 0 && $0 != 0x0a }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return line.isEmpty ? nil : line
    }
}

extension TCPStream {
    /// Makes this connection use the congestion control `name` (`cubic`, `reno`, `bbr`, …);
    /// fails with ENOENT when the kernel has no such algorithm (or may not load it).
    public func setCongestionControl(_ name: String) throws(SystemError) {
        try TCPCongestionControl.set(name, on: fileDescriptor)
    }

    /// The congestion control this connection uses, as the kernel reports it; nil where the
    /// system cannot say.
    public var congestionControl: String? {
        #if os(Linux)
        var buffer = [UInt8](repeating: 0, count: TCPCongestionControl.maxNameLength)
        var length = socklen_t(buffer.count)
        let read: Bool = buffer.withUnsafeMutableBytes { raw in
            (try? Posix.getsockopt(fileDescriptor, level: SocketConstants.tcpProtocol, name: TCPCongestionControl.option,
                                   raw.baseAddress!, &length)) != nil
        }
        guard read else { return nil }
        let name = String(decoding: buffer.prefix(Int(length)).prefix { $0 != 0 }, as: UTF8.self)
        return name.isEmpty ? nil : name
        #else
        return nil
        #endif
    }
}
