#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What the kernel says about a connection's progress (`TCP_INFO`).
public struct TCPConnectionInfo: Sendable, Equatable {
    /// The kernel's smoothed RTT, in nanoseconds (it keeps microseconds).
    public var smoothedRTT: UInt64
    /// The congestion window, in segments.
    public var congestionWindow: Int
    /// Segments retransmitted over the connection's life.
    public var retransmissions: Int
    /// Retransmission timeouts in a row of the oldest unacknowledged segment (0 once it is
    /// acknowledged): above 0, the kernel is backing off its retransmission timer.
    public var unrecoveredTimeouts = 0
}

extension TCPStream {
    /// Bytes written to the connection that the peer has not acknowledged yet (unsent ones
    /// included): `SIOCOUTQ`. Written minus this is what the peer's TCP has received, which is
    /// what a sender can report as progress. Nil where the system cannot say.
    public var unacknowledgedBytes: Int? {
        #if os(Linux)
        var count: Int32 = 0
        guard ioctl(fileDescriptor, UInt(TIOCOUTQ), &count) == 0 else { return nil }
        return Int(count)
        #else
        return nil
        #endif
    }

    /// The kernel's RTT, window and retransmission count for this connection; nil where the
    /// system cannot say.
    public var connectionInfo: TCPConnectionInfo? {
        #if os(Linux)
        var info = tcp_info()
        var length = socklen_t(MemoryLayout<tcp_info>.size)
        let read = withUnsafeMutableBytes(of: &info) { raw in
            (try? Posix.getsockopt(fileDescriptor, level: SocketConstants.tcpProtocol, name: Int32(TCP_INFO),
                                   raw.baseAddress!, &length)) != nil
        }
        guard read else { return nil }
        return TCPConnectionInfo(smoothedRTT: UInt64(info.tcpi_rtt) * 1_000, congestionWindow: Int(info.tcpi_snd_cwnd),
                                 retransmissions: Int(info.tcpi_total_retrans), unrecoveredTimeouts: Int(info.tcpi_retransmits))
        #else
        return nil
        #endif
    }
}
