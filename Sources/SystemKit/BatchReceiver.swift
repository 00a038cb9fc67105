#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Receives datagrams many at a time from one socket: `ReceiveSlots` bound to it, with the
/// kernel asked to coalesce its flows (UDP generic receive offload) unless told not to.
public final class BatchReceiver {
    public static let batchSize = ReceiveSlots.batchSize
    /// Each slot holds one datagram, or a run of coalesced ones of up to 64 KiB.
    public static let slotCapacity = ReceiveSlots.slotCapacity

    public let socket: UDPSocket
    private let slots = ReceiveSlots()

    public init(socket: UDPSocket, receiveOffload: Bool = true) {
        self.socket = socket
        if receiveOffload { ReceiveSlots.allowCoalescing(on: socket) }
    }

    /// `ReceiveSlots.receiveRuns(from:limit:batchEnded:_:)` on this receiver's socket.
    @discardableResult
    public func receiveRuns(limit: Int = 512, batchEnded: () -> Void = {},
                            _ body: (DatagramRun, SocketAddress) -> Void) throws(SystemError) -> Int {
        try slots.receiveRuns(from: socket, limit: limit, batchEnded: batchEnded, body)
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
