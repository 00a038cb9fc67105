#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SystemKit

/// A way to stop a running relay from another thread: `stop()` makes `fileDescriptor`
/// readable, which the relay's poll loop watches (`UDPRelay.run(stopWhenReadable:)`).
public final class StopSwitch: Sendable {
    /// The descriptor that becomes readable once `stop()` was called.
    public let fileDescriptor: Int32
    private let writeEnd: Int32

    /// A switch in the "running" position. Throws if no pipe can be made.
    public init() throws(SystemError) {
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else { throw SystemError(errno: errno, call: "pipe") }
        for end in ends {
            _ = try? Posix.setNonBlocking(end, true)
            _ = try? Posix.setCloseOnExec(end)
        }
        fileDescriptor = ends[0]
        writeEnd = ends[1]
    }

    deinit {
        try? Posix.close(fileDescriptor)
        try? Posix.close(writeEnd)
    }

    /// Asks the relay to stop; safe from any thread, any number of times.
    public func stop() {
        var byte: UInt8 = 1
        _ = write(writeEnd, &byte, 1)
    }
}
