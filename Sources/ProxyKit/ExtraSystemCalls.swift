#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// System calls that Glibc's Swift module hides (its headers declare them only under
/// `_GNU_SOURCE`) and that the package has no C target to expose: looked up once with `dlsym`.
/// Each is nil where the C library lacks it (Darwin, old libcs); callers then fall back to the
/// portable call (`poll` in whole milliseconds, one `recvfrom`/`sendto` per datagram).
enum ExtraSystemCalls {
    /// `ppoll(2)`: `poll` with a nanosecond timeout, so timers fire within microseconds rather
    /// than up to a millisecond late.
    typealias PPoll = @convention(c) (
        UnsafeMutablePointer<pollfd>?, nfds_t, UnsafePointer<timespec>?, UnsafeRawPointer?
    ) -> Int32
    /// `recvmmsg(2)`: several datagrams in one call (the vector is `MultipleMessageHeader`s).
    typealias RecvMMsg = @convention(c) (
        Int32, UnsafeMutableRawPointer?, UInt32, Int32, UnsafeMutablePointer<timespec>?
    ) -> Int32
    /// `sendmmsg(2)`: several datagrams in one call (the vector is `MultipleMessageHeader`s).
    typealias SendMMsg = @convention(c) (Int32, UnsafeMutableRawPointer?, UInt32, Int32) -> Int32

    static let ppoll: PPoll? = lookUp("ppoll")
    static let recvmmsg: RecvMMsg? = lookUp("recvmmsg")
    static let sendmmsg: SendMMsg? = lookUp("sendmmsg")

    private static func lookUp<Function>(_ name: String) -> Function? {
        #if os(Linux)
        guard let library = dlopen(nil, RTLD_NOW), let symbol = dlsym(library, name) else { return nil }
        return unsafeBitCast(symbol, to: Function.self)
        #else
        return nil
        #endif
    }
}

/// C `struct mmsghdr`: one message of a `recvmmsg`/`sendmmsg` vector. Swift lays it out as C
/// does (the header, then the 32-bit length, padded to the header's alignment).
struct MultipleMessageHeader {
    var header = msghdr()
    /// Bytes received or sent for this message, filled in by the kernel.
    var length: UInt32 = 0
}
