import RUDP
import SystemKit

/// The sending side of the TCP baseline (`rudp-send --protocol tcp`): the same file, name and
/// confirmation as RUDP, over one plain kernel TCP connection (framing: `TCPBaselineFraming`).
public enum TCPSendClient {
    /// Sends `file` to the receiver at `address` under `name` and returns once the receiver has
    /// confirmed that the file is saved with a matching SHA-256.
    ///
    /// - Parameters:
    ///   - connectTimeout: nanoseconds to wait for the TCP handshake.
    ///   - idleTimeout: nanoseconds without any progress on the connection (while waiting for
    ///     the receiver, not for a slow standard input) before giving up.
    ///   - interruptFileDescriptor: polled for readability beside the socket (a signal self-pipe);
    ///     when it is readable `isInterrupted` is asked, and a non-nil reason stops the send at
    ///     once: the connection is closed (the receiver discards the partial file) and the
    ///     reason is thrown.
    ///   - congestionControl: the kernel TCP congestion control to use (`TCP_CONGESTION`); nil
    ///     keeps the system default. The report says which one the connection really used.
    ///   - progressInterval: nanoseconds between `progress` calls, kept even while the connection stalls.
    ///   - progress: called every `progressInterval` with the file bytes the receiver's TCP
    ///     acknowledged and the kernel's RTT, window and retransmissions.
    /// - Returns: a report whose `seconds` run from the start of the connect to the final
    ///   confirmation, so that it includes the handshake as RUDP's does.
    public static func run(file: OutgoingFile, to address: SocketAddress, name: [UInt8], connectTimeout: UInt64,
                           idleTimeout: UInt64, interruptFileDescriptor: Int32?, isInterrupted: () -> String?,
                           congestionControl: String? = nil, progressInterval: UInt64 = 100_000_000,
                           progress: (SendProgress) -> Void) throws(SendFailure) -> SendReport {
        guard name.count <= TCPBaselineFraming.maxNameLength else {
            throw SendFailure("the file name is \(name.count) bytes long; the TCP baseline carries at most "
                + "\(TCPBaselineFraming.maxNameLength) bytes (choose a shorter one with --name)")
        }
        if let congestionControl {
            do {
                try TCPCongestionControl.check(congestionControl, family: address.family)
            } catch {
                throw unknownCongestionControl(congestionControl, error)
            }
        }
        let startTime = MonotonicClock.now()
        let stream = try connect(to: address, timeout: connectTimeout, startTime: startTime,
                                 interruptFileDescriptor: interruptFileDescriptor, isInterrupted: isInterrupted)
        // Closing on every exit is what tells the receiver to discard a partial file.
        defer { stream.close() }
        // Small STATUS and END frames must leave at once; the big chunks are not affected.
        try? stream.setNoDelay(true)
        if let congestionControl {
            do {
                try stream.setCongestionControl(congestionControl)
            } catch {
                throw unknownCongestionControl(congestionControl, error)
            }
        }
        let session = TCPSendSession(file: file, stream: stream, address: address, name: name,
                                     idleTimeout: idleTimeout, startTime: startTime,
                                     interruptFileDescriptor: interruptFileDescriptor, progressInterval: progressInterval)
        var report = try session.run(isInterrupted: isInterrupted, progress: progress)
        report.tcpCongestionControl = stream.congestionControl
        return report
    }

    private static func unknownCongestionControl(_ name: String, _ error: SystemError) -> SendFailure {
        let available = TCPCongestionControl.available
        return SendFailure("the kernel has no TCP congestion control '\(name)' (\(error))"
            + (available.isEmpty ? "" : "; available: \(available.joined(separator: ", "))"))
    }

    // MARK: Connecting

    /// A non-blocking connect that also wakes for the interrupt descriptor.
    private static func connect(to address: SocketAddress, timeout: UInt64, startTime: UInt64,
                                interruptFileDescriptor: Int32?, isInterrupted: () -> String?) throws(SendFailure) -> TCPStream {
        // SO_SNDBUF/SO_RCVBUF are left to the kernel on purpose: on Linux an explicit size turns
        // buffer autotuning off and is capped by wmem_max/rmem_max, typically below what autotuning
        // reaches (tcp_wmem/tcp_rmem), which matters on the delayed links of the comparison. On
        // loopback explicit sizes measured no faster: the SHA-256 at each end is the limit there.
        var reason: String?
        do {
            return try TCPStream.connect(to: address, deadline: startTime &+ timeout,
                                         interruptFileDescriptor: interruptFileDescriptor,
                                         isInterrupted: { reason = isInterrupted(); return reason != nil },
                                         blocking: false)
        } catch {
            switch error {
            case .socket(let error): throw SendFailure("cannot open a TCP socket for \(address): \(error)")
            case .connect(let error): throw connectFailure(error, address: address, timeout: timeout)
            case .poll(let error): throw SendFailure("poll: \(error)")
            case .setup(let error): throw SendFailure("cannot set up the TCP connection to \(address): \(error)")
            case .interrupted: throw SendFailure(reason ?? "interrupted")
            }
        }
    }

    private static func connectFailure(_ error: SystemError, address: SocketAddress, timeout: UInt64) -> SendFailure {
        if error.isConnectionRefused {
            return SendFailure("nothing is listening on TCP \(address) (connection refused): is rudp-recv running there?")
        }
        if error.isTimedOut {
            return SendFailure("no answer from TCP \(address) within \(TCPBaselineText.duration(timeout)) (connect timed out)")
        }
        if error.isUnreachable {
            return SendFailure("cannot reach TCP \(address): \(SystemError.message(for: error.errno))")
        }
        return SendFailure("cannot connect to TCP \(address): \(error)")
    }
}
