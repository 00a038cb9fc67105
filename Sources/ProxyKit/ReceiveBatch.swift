#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import RUDPNet

/// Buffers for receiving up to `capacity` datagrams from a socket with one `recvmmsg` call
/// (one `recvfrom` each where that call is missing), allocated once and reused.
///
/// Each slot holds a whole UDP payload (64 KiB) and its source address, so nothing is ever
/// truncated; pages a datagram does not touch are never made resident.
final class ReceiveBatch {
    /// Datagrams received by one `receive(from:)` at most.
    let capacity: Int
    /// Bytes per slot: the largest UDP payload fits.
    static let slotSize = 65_536

    private let buffers: UnsafeMutableRawPointer
    private let addresses: UnsafeMutablePointer<sockaddr_storage>
    private let vectors: UnsafeMutablePointer<iovec>
    private let messages: UnsafeMutablePointer<MultipleMessageHeader>
    /// Datagrams held since the last `receive(from:)`.
    private(set) var count = 0

    init(capacity: Int) {
        precondition(capacity > 0)
        self.capacity = capacity
        buffers = .allocate(byteCount: capacity * Self.slotSize, alignment: 64)
        addresses = .allocate(capacity: capacity)
        addresses.initialize(repeating: sockaddr_storage(), count: capacity)
        vectors = .allocate(capacity: capacity)
        messages = .allocate(capacity: capacity)
        for index in 0..<capacity {
            vectors[index] = iovec(iov_base: buffers + index * Self.slotSize, iov_len: Self.slotSize)
            messages[index] = MultipleMessageHeader()
        }
    }

    deinit {
        buffers.deallocate()
        addresses.deallocate()
        vectors.deallocate()
        messages.deallocate()
    }

    /// Receives what is queued on `fd`, up to `capacity` datagrams; returns how many (0 when
    /// none was waiting). Errors the socket reports (an ICMP error on a connected socket)
    /// are thrown after any datagrams already taken are counted.
    func receive(from fd: Int32) throws(SystemError) -> Int {
        count = 0
        if let receiveMany = ExtraSystemCalls.recvmmsg {
            for index in 0..<capacity { prepare(index) }
            while true {
                let received = receiveMany(fd, messages, UInt32(capacity), 0, nil)
                if received >= 0 {
                    count = Int(received)
                    return count
                }
                let code = errno
                if code == EINTR { continue }
                if code == EAGAIN || code == EWOULDBLOCK { return 0 }
                throw SystemError(errno: code, call: "recvmmsg")
            }
        }
        while count < capacity {
            prepare(count)
            let received = recvmsg(fd, &messages[count].header, 0)
            if received >= 0 {
                messages[count].length = UInt32(received)
                count += 1
                continue
            }
            let code = errno
            if code == EINTR { continue }
            if code == EAGAIN || code == EWOULDBLOCK { break }
            if count > 0 { break }  // report the error on the next call, after these datagrams
            throw SystemError(errno: code, call: "recvmsg")
        }
        return count
    }

    /// The bytes of datagram `index` (valid until the next `receive`).
    func datagram(_ index: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: buffers + index * Self.slotSize, count: Int(messages[index].length))
    }

    /// Who sent datagram `index`; nil for an address family the relay does not speak.
    func source(_ index: Int) -> SocketAddress? {
        SocketAddress(storage: addresses[index], length: messages[index].header.msg_namelen)
    }

    private func prepare(_ index: Int) {
        messages[index].header.msg_name = UnsafeMutableRawPointer(addresses + index)
        messages[index].header.msg_namelen = socklen_t(MemoryLayout<sockaddr_storage>.size)
        messages[index].header.msg_iov = vectors + index
        messages[index].header.msg_iovlen = 1
        messages[index].header.msg_control = nil
        messages[index].header.msg_controllen = 0
        messages[index].header.msg_flags = 0
        messages[index].length = 0
    }
}
