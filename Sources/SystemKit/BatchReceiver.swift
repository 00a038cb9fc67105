#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CRUDPShim

/// Receives datagrams many at a time (recvmmsg) and, where the kernel coalesces a flow's
/// datagrams (UDP generic receive offload), splits each coalesced buffer back into datagrams.
/// Falls back to one `recvfrom` per datagram where neither is available. Buffers are
/// allocated once.
public final class BatchReceiver {
    public static let batchSize = 32
    /// Each slot holds one datagram, or a run of coalesced ones of up to 64 KiB.
    public static let slotCapacity = 65_536

    public let socket: UDPSocket
    private let storage: UnsafeMutableRawBufferPointer
    private var slots: [crudp_received_datagram]
    private var batchAvailable = true

    public init(socket: UDPSocket, receiveOffload: Bool = true) {
        self.socket = socket
        storage = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.batchSize * Self.slotCapacity, alignment: 16)
        slots = Array(repeating: crudp_received_datagram(), count: Self.batchSize)
        for index in 0..<Self.batchSize {
            slots[index].buffer = storage.baseAddress! + index * Self.slotCapacity
            slots[index].capacity = Self.slotCapacity
        }
        if receiveOffload { _ = crudp_enable_receive_offload(socket.fileDescriptor) }
    }

    deinit { storage.deallocate() }

    /// Calls `body` with each run of waiting datagrams from one source (what the kernel coalesced
    /// into one buffer, or a single datagram), up to about `limit` datagrams in all, and
    /// `batchEnded` after each batch the kernel handed over; returns how many datagrams were
    /// delivered (0 when none was waiting). A run lets the caller look its sender up once.
    @discardableResult
    public func receiveRuns(limit: Int = 512, batchEnded: () -> Void = {},
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

/// Datagrams of one source that arrived as one buffer: each `segmentSize` bytes long but the
/// last, which may be shorter. (An empty datagram carries nothing for anyone and is skipped.)
public struct DatagramRun: Sequence {
    public let bytes: UnsafeRawBufferPointer
    public let segmentSize: Int

    public init(bytes: UnsafeRawBufferPointer, segmentSize: Int) {
        self.bytes = bytes
        self.segmentSize = Swift.max(segmentSize, 1)
    }

    /// How many datagrams the run holds.
    public var count: Int { (bytes.count + segmentSize - 1) / segmentSize }

    public func makeIterator() -> Iterator { Iterator(run: self) }

    public struct Iterator: IteratorProtocol {
        let run: DatagramRun
        var offset = 0

        public mutating func next() -> UnsafeRawBufferPointer? {
            guard offset < run.bytes.count else { return nil }
            let end = Swift.min(offset + run.segmentSize, run.bytes.count)
            defer { offset = end }
            return UnsafeRawBufferPointer(rebasing: run.bytes[offset..<end])
        }
    }
}
