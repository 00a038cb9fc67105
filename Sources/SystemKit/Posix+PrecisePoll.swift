#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CRUDPShim

extension Posix {
    /// Whether `ppoll` exists on this system (Linux); elsewhere only `poll`'s whole milliseconds do.
    public static var hasPrecisePoll: Bool {
        #if os(Linux)
        return true
        #else
        return false
        #endif
    }

    /// `ppoll(2)`: as `poll`, but the timeout is in nanoseconds (nil waits without limit) and
    /// `signalMask`, if given, is the signal mask during the wait. Returns the number of
    /// descriptors with events, or nil when a signal interrupted the wait. Throws ENOSYS where
    /// `hasPrecisePoll` is false.
    public static func ppoll(
        _ fds: UnsafeMutablePointer<pollfd>, count: Int, timeoutNanoseconds: UInt64?,
        signalMask: UnsafePointer<sigset_t>? = nil
    ) throws(SystemError) -> Int? {
        let result: Int32
        if let timeoutNanoseconds {
            var timeout = timespec(tv_sec: Int(timeoutNanoseconds / 1_000_000_000),
                                   tv_nsec: Int(timeoutNanoseconds % 1_000_000_000))
            result = crudp_ppoll(fds, UInt(count), &timeout, signalMask)
        } else {
            result = crudp_ppoll(fds, UInt(count), nil, signalMask)
        }
        if result >= 0 { return Int(result) }
        if result == -EINTR { return nil }
        throw SystemError(errno: -result, call: "ppoll")
    }
}
