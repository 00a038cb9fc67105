#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A destination in the exact `sockaddr` form one socket's `sendmsg` takes, computed once (per
/// peer, say) instead of per datagram: an IPv4 peer of a dual-stack IPv6 socket is `::ffff:a.b.c.d`.
public struct RawSocketAddress: Sendable {
    private var storage = sockaddr_storage()
    private var length: socklen_t = 0

    /// `address` as a socket of `socketFamily` must be given it.
    public init(_ address: SocketAddress, forSocketFamily socketFamily: SocketAddress.Family) {
        var storage = sockaddr_storage()
        length = address.withSockAddr(for: socketFamily) { pointer, length in
            withUnsafeMutableBytes(of: &storage) { target in
                target.copyMemory(from: UnsafeRawBufferPointer(start: pointer, count: Int(length)))
            }
            return length
        }
        self.storage = storage
    }

    /// Calls `body` with the `sockaddr` pointer and length.
    @inline(__always)
    public func withSockAddr<Result, Failure: Error>(
        _ body: (UnsafePointer<sockaddr>, socklen_t) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        var storage = storage
        let length = length
        return try withUnsafePointer(to: &storage) { (pointer) throws(Failure) -> Result in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { (address) throws(Failure) -> Result in
                try body(address, length)
            }
        }
    }
}
