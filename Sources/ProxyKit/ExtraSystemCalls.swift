#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// System calls that Glibc's Swift module hides (its headers declare them only under
/// `_GNU_SOURCE`), looked up once with `dlsym`. Each is nil where the C library lacks it
/// (Darwin, old libcs); callers then fall back to the portable call (`poll` in whole
/// milliseconds).
enum ExtraSystemCalls {
    /// `ppoll(2)`: `poll` with a nanosecond timeout, so timers fire within microseconds rather
    /// than up to a millisecond late.
    typealias PPoll = @convention(c) (
        UnsafeMutablePointer<pollfd>?, nfds_t, UnsafePointer<timespec>?, UnsafeRawPointer?
    ) -> Int32
    static let ppoll: PPoll? = lookUp("ppoll")

    private static func lookUp<Function>(_ name: String) -> Function? {
        #if os(Linux)
        guard let library = dlopen(nil, RTLD_NOW), let symbol = dlsym(library, name) else { return nil }
        return unsafeBitCast(symbol, to: Function.self)
        #else
        return nil
        #endif
    }
}
