#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CRUDPShim
import RUDPNet
import SystemKit

/// Takes waiting datagrams from a socket many at a time (`recvmmsg`), allocated once and
/// reused for every socket of the relay.
///
/// Sockets given to `enableCoalescing` let the kernel hand over a run of equal-size datagrams
/// of one flow as one buffer (UDP generic receive offload: what a sender using segmentation
/// offload, such as rudp-send, produces); `receive` splits such runs back into the original
/// datagrams, so each is impaired on its own. Where the batch call is missing (not Linux) it
/// falls back to one `recvfrom` per datagram.
final class ReceiveBatch {
    /// Buffers (slots) filled by one system call at most.
    static let capacity = 32
    /// Bytes per slot: a whole UDP payload, or a run of coalesced ones, fits.
    static let slotSize = 65_536

    private let storage: UnsafeMutableRawPointer
    private let slots: UnsafeMutablePointer<crudp_received_datagram>
    private var batchCallAvailable = true

    init() {
        storage = .allocate(byteCount: Self.capacity * Self.slotSize, alignment: 64)
        slots = .allocate(capacity: Self.capacity)
        for index in 0..<Self.capacity {
            slots[index] = crudp_received_datagram()
            slots[index].buffer = storage + index * Self.slotSize
            slots[index].capacity = Self.slotSize
        }
    }

    deinit {
        storage.deallocate()
        slots.deallocate()
    }

    /// Asks the kernel to coalesce the flows arriving on `fd` (best effort; harmless if refused).
    static func enableCoalescing(on fd: Int32) {
        _ = crudp_enable_receive_offload(fd)
    }

    /// Receives what is waiting on `fd` (up to `capacity` buffers) and calls `body` with each
    /// datagram and its source (nil for a family the relay does not speak). Returns the
    /// datagrams delivered and whether every buffer was filled (more may be waiting).
    @inline(__always)
    func receive(
        from fd: Int32, _ body: (UnsafeRawBufferPointer, SocketAddress?) -> Void
    ) throws(SystemError) -> (datagrams: Int, full: Bool) {
        let filled: Int
        if batchCallAvailable {
            let result = crudp_receive_batch(fd, slots, Int32(Self.capacity))
            if result == -EAGAIN || result == -EWOULDBLOCK { return (0, false) }
            if result == -EOPNOTSUPP || result == -ENOSYS {
                batchCallAvailable = false
                return try receive(from: fd, body)
            }
            if result < 0 { throw SystemError(errno: -result, call: "recvmmsg") }
            filled = Int(result)
        } else {
            filled = try receiveOneByOne(from: fd)
        }
        var delivered = 0
        for index in 0..<filled {
            let slot = slots[index]
            let source = withUnsafeBytes(of: slot.address) { raw in
                SocketAddress(storage: raw.load(as: sockaddr_storage.self), length: slot.address_length)
            }
            let bytes = UnsafeRawBufferPointer(start: slot.buffer, count: slot.length)
            guard slot.segment_size > 0, slot.length > Int(slot.segment_size) else {
                body(bytes, source)
                delivered += 1
                continue
            }
            let step = Int(slot.segment_size)
            var offset = 0
            while offset < slot.length {
                let end = min(offset + step, slot.length)
                body(UnsafeRawBufferPointer(rebasing: bytes[offset..<end]), source)
                delivered += 1
                offset = end
            }
        }
        return (delivered, filled == Self.capacity)
    }

    /// The portable path: `recvfrom` into the slots until none is waiting or all are full.
    private func receiveOneByOne(from fd: Int32) throws(SystemError) -> Int {
        var filled = 0
        while filled < Self.capacity {
            let slot = slots + filled
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let buffer = UnsafeMutableRawBufferPointer(start: slot.pointee.buffer, count: Self.slotSize)
            let received = try withUnsafeMutableBytes(of: &slot.pointee.address) { (raw) throws(SystemError) -> Int? in
                try Posix.recvfrom(fd, buffer, flags: 0, raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), &length)
            }
            guard let received else { break }
            slot.pointee.length = received
            slot.pointee.address_length = length
            slot.pointee.segment_size = 0
            filled += 1
        }
        return filled
    }
}
