#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CRUDPShim

/// Sends runs of equal-size datagrams with one system call each, using UDP generic
/// segmentation offload (the kernel cuts the run into datagrams), and falls back to one
/// `send` per datagram where the offload is missing. Datagrams are written in place into
/// `reserve`'s buffer, so nothing is copied twice.
public final class SegmentingSender {
    /// At most this many datagrams per call (the kernel's UDP_MAX_SEGMENTS).
    public static let maxSegments = 64
    /// At most this many bytes per call (a UDP datagram's limit, with room for headers).
    public static let maxRunBytes = 63 * 1024

    public let socket: UDPSocket
    /// False once the kernel refused the offload: every datagram then goes on its own.
    public private(set) var offloadAvailable: Bool
    /// System calls made and datagrams sent, to show what batching saved.
    public private(set) var systemCalls = 0
    public private(set) var datagramsSent = 0
    /// Datagrams dropped because the socket buffer was full (as a full router queue would).
    public private(set) var datagramsDropped = 0

    private let buffer: UnsafeMutableRawBufferPointer
    private var used = 0
    private var segmentSize = 0
    private var segments = 0

    /// A sender on a connected socket.
    public init(socket: UDPSocket, useOffload: Bool = true) {
        self.socket = socket
        offloadAvailable = useOffload
        buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.maxRunBytes + 65_536, alignment: 16)
    }

    deinit { buffer.deallocate() }

    /// Space for the next datagram, at least `capacity` bytes (sends the run so far if needed).
    public func reserve(capacity: Int) throws(SystemError) -> UnsafeMutableRawBufferPointer {
        if segments > 0 && (Self.maxRunBytes - used < capacity || segments == Self.maxSegments || !offloadAvailable) {
            try flush()
        }
        return UnsafeMutableRawBufferPointer(rebasing: buffer[used..<(used + capacity)])
    }

    /// Adds the `length`-byte datagram just written at the reserved space to the run.
    public func commit(length: Int) throws(SystemError) {
        if segments == 0 || length == segmentSize {
            if segments == 0 { segmentSize = length }
            used += length
            segments += 1
        } else if length < segmentSize {
            used += length  // a shorter datagram may end a run
            segments += 1
            try flush()
        } else {
            // Longer than the run's datagrams: send the run, then start a new one with this datagram.
            let start = used
            try flush()
            UnsafeMutableRawBufferPointer(rebasing: buffer[0..<length])
                .copyMemory(from: UnsafeRawBufferPointer(rebasing: buffer[start..<(start + length)]))
            used = length
            segmentSize = length
            segments = 1
        }
    }

    /// Sends the datagrams collected so far.
    public func flush() throws(SystemError) {
        guard segments > 0 else { return }
        defer {
            used = 0
            segments = 0
            segmentSize = 0
        }
        if segments > 1 && offloadAvailable {
            systemCalls += 1
            let result = crudp_send_segmented(socket.fileDescriptor, buffer.baseAddress, used, UInt16(segmentSize), nil, 0)
            if result >= 0 {
                datagramsSent += segments
                return
            }
            let code = Int32(-result)
            switch code {
            case EAGAIN, EWOULDBLOCK, ENOBUFS:
                datagramsDropped += segments
                return
            case EINVAL, EOPNOTSUPP, ENOPROTOOPT, EIO:
                offloadAvailable = false  // no offload here: fall through to one send each
            default:
                throw SystemError(errno: code, call: "sendmsg")
            }
        }
        var offset = 0
        while offset < used {
            let length = min(segmentSize, used - offset)
            systemCalls += 1
            if try socket.send(UnsafeRawBufferPointer(rebasing: buffer[offset..<(offset + length)])) {
                datagramsSent += 1
            } else {
                datagramsDropped += 1
            }
            offset += length
        }
    }
}
