#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CRUDPShim

/// Datagrams on their way out, gathered into runs that leave with one system call each.
///
/// Consecutive datagrams for the same destination through the same socket, all of one size
/// (a shorter one may end a run), form a run sent with UDP generic segmentation offload: the
/// kernel cuts it back into the original datagrams, and on loopback a receiver that allows
/// coalescing takes the whole run at once. Where the offload is refused the run's datagrams
/// go one `sendto` each. The pipeline lends each datagram only during a callback, so `append`
/// copies it into the run's buffer (tens of nanoseconds, against a system call saved). Unlike
/// `SegmentingSender` (one connected socket, datagrams written in place), one batch serves
/// many sockets and destinations, as a relay's release loop needs.
public final class SendBatch {
    /// What some sends achieved.
    public struct Outcome {
        /// Datagrams the kernel took.
        public var sent = 0
        /// Datagrams it refused, with an error or for a full socket buffer (the sum of the
        /// four counts below).
        public var failed = 0
        /// Refused for a full socket buffer (EAGAIN, ENOBUFS).
        public var bufferFull = 0
        /// Refused because the peer reported its port unreachable (ECONNREFUSED).
        public var refused = 0
        /// Refused as too large for the path or the protocol (EMSGSIZE).
        public var tooLarge = 0
        /// Refused with any other error.
        public var otherError = 0
        /// The error of the first datagram that failed with one (a full socket buffer counts
        /// as failed without an error).
        public var firstError: SystemError? = nil

        /// Nothing sent yet.
        public init() {}

        /// Counts `count` datagrams refused with `errno` (nil: a full buffer without an error).
        mutating func noteFailure(_ count: Int, errno code: Int32?, call: String) {
            failed += count
            switch code {
            case nil, EAGAIN, EWOULDBLOCK, ENOBUFS: bufferFull += count
            case ECONNREFUSED: refused += count
            case EMSGSIZE: tooLarge += count
            default: otherError += count
            }
            if let code, code != EAGAIN, code != EWOULDBLOCK, code != ENOBUFS, firstError == nil {
                firstError = SystemError(errno: code, call: call)
            }
        }
    }

    /// Datagrams per run at most (the kernel's UDP_MAX_SEGMENTS).
    public static let maxSegments = 64
    /// Bytes per run at most (a UDP datagram's limit, with room for headers).
    public static let maxRunBytes = 63 * 1024

    private let buffer: UnsafeMutableRawPointer
    private var used = 0
    private var segmentSize = 0
    private var segments = 0
    private var socket: UDPSocket? = nil
    private var destination: RawSocketAddress? = nil
    /// Identifies socket and destination together, to tell runs apart cheaply.
    private var flow = -1
    /// False once the kernel refused the offload outright: every datagram then goes alone.
    public private(set) var offloadAvailable = true

    /// An empty batch with its run buffer allocated; with `useOffload` false every datagram
    /// leaves with its own `sendto`. The default follows RUDP_NO_GSO (`SegmentationOffload`),
    /// so that a program that makes its batch without asking honours the variable too.
    public init(useOffload: Bool = SegmentationOffload.isEnabled(noGSO: false)) {
        offloadAvailable = useOffload
        // Room for a full run plus one datagram of any size.
        buffer = .allocate(byteCount: Self.maxRunBytes + 65_536, alignment: 64)
    }

    deinit { buffer.deallocate() }

    /// Adds a datagram for `socket`, to `destination` (nil: the socket's connected peer).
    /// `flow` must be the same number for every datagram with this socket and destination,
    /// and differ from other pairs' until the next `flush`. Sends what no longer fits a run,
    /// adding the result to `outcome`.
    @inline(__always)
    public func append(_ bytes: UnsafeRawBufferPointer, socket: UDPSocket, destination: RawSocketAddress?, flow: Int,
                outcome: inout Outcome) {
        let length = bytes.count
        // An empty datagram has no bytes to cut a run at: it always goes alone.
        if segments > 0 && (flow != self.flow || length > segmentSize || length == 0 || segmentSize == 0
            || used + length > Self.maxRunBytes || segments == Self.maxSegments || !offloadAvailable)
        {
            flush(into: &outcome)
        }
        if segments == 0 {
            self.socket = socket
            self.destination = destination
            self.flow = flow
            segmentSize = length
        }
        if let base = bytes.baseAddress, length > 0 {
            (buffer + used).copyMemory(from: base, byteCount: length)
        }
        used += length
        segments += 1
        // A shorter datagram can only be a run's last.
        if length < segmentSize { flush(into: &outcome) }
    }

    /// Sends the run gathered so far, adding the result to `outcome`.
    public func flush(into outcome: inout Outcome) {
        guard segments > 0, let socket else { return }
        defer {
            used = 0
            segments = 0
            segmentSize = 0
            flow = -1
            self.socket = nil
        }
        let fd = socket.fileDescriptor
        if segments > 1 && offloadAvailable {
            let result = withDestination { address, length in
                crudp_send_segmented(fd, buffer, used, UInt16(segmentSize), address, UInt32(length))
            }
            if result >= 0 {
                outcome.sent += segments
                return
            }
            let code = Int32(-result)
            switch code {
            case EAGAIN, EWOULDBLOCK, ENOBUFS:
                outcome.noteFailure(segments, errno: nil, call: "sendmsg")
                return
            case EOPNOTSUPP, ENOPROTOOPT, EIO:
                offloadAvailable = false  // this kernel or device cannot: send one by one from now on
            case EINVAL, EMSGSIZE:
                break  // this run cannot (segments above the path MTU): send it one by one
            default:
                outcome.noteFailure(segments, errno: code, call: "sendmsg")
                return
            }
        }
        var offset = 0
        for index in 0..<segments {
            // All but the last are `segmentSize` long; the last may be shorter.
            let length = index == segments - 1 ? used - offset : segmentSize
            let datagram = UnsafeRawBufferPointer(start: buffer + offset, count: length)
            do throws(SystemError) {
                let sent = try withDestination { (address, addressLength) throws(SystemError) in
                    try Posix.sendto(fd, datagram, flags: 0, address, addressLength)
                }
                if sent != nil { outcome.sent += 1 } else { outcome.noteFailure(1, errno: nil, call: "sendto") }
            } catch {
                outcome.noteFailure(1, errno: error.errno, call: error.call)
            }
            offset += length
        }
    }

    /// Calls `body` with the run's destination as a `sockaddr` (nil and 0 for a connected socket).
    @inline(__always)
    private func withDestination<Result, Failure: Error>(
        _ body: (UnsafePointer<sockaddr>?, socklen_t) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        guard let destination else { return try body(nil, 0) }
        return try destination.withSockAddr { (address, length) throws(Failure) -> Result in try body(address, length) }
    }
}
