#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CRUDPShim

/// The buffers of batched receiving, allocated once and filled from any UDP socket: up to
/// `batchSize` datagrams per system call (recvmmsg) and, where the kernel coalesces a flow's
/// datagrams (UDP generic receive offload), each coalesced buffer handed over as one run.
/// Falls back to one `recvfrom` per datagram where the batch call is missing. One set serves
/// every socket of a loop (a relay's many); `BatchReceiver` binds one to a single socket.
public final class ReceiveSlots {
    /// Slots filled by one system call at most.
    public static let batchSize = 32
    /// Each slot holds one datagram, or a run of coalesced ones of up to 64 KiB.
    public static let slotCapacity = 65_536

    private let storage: UnsafeMutableRawBufferPointer
    private var slots: [crudp_received_datagram]
    private var batchAvailable = true

    /// Allocates the slots (2 MiB).
    public init() {
        storage = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.batchSize * Self.slotCapacity, alignment: 64)
        slots = Array(repeating: crudp_received_datagram(), count: Self.batchSize)
        for index in 0..<Self.batchSize {
            slots[index].buffer = storage.baseAddress! + index * Self.slotCapacity
            slots[index].capacity = Self.slotCapacity
        }
    }

    deinit { storage.deallocate() }

    /// Asks the kernel to coalesce the flows arriving on `socket` (UDP_GRO; best effort,
    /// harmless if refused): what a sender using segmentation offload sends then arrives as runs.
    public static func allowCoalescing(on socket: UDPSocket) {
        _ = crudp_enable_receive_offload(socket.fileDescriptor)
    }

    /// Calls `body` with each run of datagrams waiting on `socket` from one source (what the
    /// kernel coalesced into one buffer, or a single datagram), up to about `limit` datagrams
    /// in all, and `batchEnded` after each batch the kernel handed over; returns how many
    /// datagrams were delivered (0 when none was waiting). A run lets the caller look its
    /// sender up once. A datagram from a family other than IPv4/IPv6 is skipped.
    @discardableResult
    @inline(__always)
    public func receiveRuns(from socket: UDPSocket, limit: Int = 512, batchEnded: () -> Void = {},
                            _ body: (DatagramRun, SocketAddress) -> Void) throws(SystemError) -> Int {
        var delivered = 0
        while delivered < limit {
            let count: Int
            if batchAvailable {
                let result = slots.withUnsafeMutableBufferPointer {
                    crudp_receive_batch(socket.fileDescriptor, $0.baseAddress, Int32(Self.batchSize))
                }
                if result == -EAGAIN || result == -EWOULDBLOCK { return delivered }
                if result == -EOPNOTSUPP || result == -ENOSYS {
                    batchAvailable = false
                    continue
                }
                if result < 0 { throw SystemError(errno: -result, call: "recvmmsg") }
                count = Int(result)
            } else {
                let buffer = UnsafeMutableRawBufferPointer(start: slots[0].buffer, count: Self.slotCapacity)
                guard let (length, source) = try socket.receive(into: buffer) else { return delivered }
                body(DatagramRun(bytes: UnsafeRawBufferPointer(rebasing: buffer[0..<length]), segmentSize: length), source)
                delivered += 1
                batchEnded()
                continue
            }
            for index in 0..<count {
                let slot = slots[index]
                let source = withUnsafeBytes(of: slot.address) { raw in
                    SocketAddress(storage: raw.load(as: sockaddr_storage.self), length: slot.address_length)
                }
                guard let source else { continue }
                let run = DatagramRun(bytes: UnsafeRawBufferPointer(start: slot.buffer, count: slot.length),
                                      segmentSize: slot.segment_size > 0 ? Int(slot.segment_size) : slot.length)
                body(run, source)
                delivered += run.count
            }
            batchEnded()
            if count < Self.batchSize { return delivered }
        }
        return delivered
    }
}
