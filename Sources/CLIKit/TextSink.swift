#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Somewhere text goes (a terminal, a pipe, a test buffer); lets progress output be tested without a TTY.
public protocol TextSink: AnyObject {
    /// Writes the text completely, or drops it if the destination is gone (closed pipe).
    func write(_ text: String)
    /// Whether the destination is an interactive terminal, where `\r` redraws make sense.
    var isTerminal: Bool { get }
    /// The terminal width in columns, or nil when unknown or not a terminal.
    var columns: Int? { get }
}

/// A sink writing straight to a file descriptor with write(2): no stdio buffering, so a parent
/// process reading a pipe sees each line as soon as it is written.
public final class FileDescriptorSink: TextSink, @unchecked Sendable {
    /// The descriptor written to; not owned (never closed by the sink).
    public let fileDescriptor: Int32
    private let lock = NSLock()
    private var failure: Int32 = 0

    /// The errno of the first write that failed (ENOSPC for `> /dev/full`, EPIPE for a reader
    /// that left), or nil: a program whose output was lost must not exit 0 (`runMain` checks).
    public var firstWriteFailure: Int32? {
        lock.withLock { failure == 0 ? nil : failure }
    }

    public init(fileDescriptor: Int32) {
        self.fileDescriptor = fileDescriptor
    }

    /// Standard output (fd 1).
    public static let standardOutput = FileDescriptorSink(fileDescriptor: 1)
    /// Standard error (fd 2).
    public static let standardError = FileDescriptorSink(fileDescriptor: 2)

    public var isTerminal: Bool { isatty(fileDescriptor) == 1 }

    public var columns: Int? {
        guard isTerminal else { return nil }
        var size = winsize()
        #if canImport(Glibc)
        let request = UInt(TIOCGWINSZ)
        #else
        let request = TIOCGWINSZ
        #endif
        guard ioctl(fileDescriptor, request, &size) == 0, size.ws_col > 0 else { return nil }
        return Int(size.ws_col)
    }

    public func write(_ text: String) {
        var text = text
        text.withUTF8 { bytes in
            guard var next = bytes.baseAddress else { return }
            var remaining = bytes.count
            while remaining > 0 {
                #if canImport(Glibc)
                let written = Glibc.write(fileDescriptor, next, remaining)
                #else
                let written = Darwin.write(fileDescriptor, next, remaining)
                #endif
                if written >= 0 {
                    next += written
                    remaining -= written
                    continue
                }
                switch errno {
                case EINTR:
                    continue
                case EAGAIN, EWOULDBLOCK:
                    // Someone made the descriptor non-blocking: wait until it drains rather than
                    // lose part of a JSON line.
                    var waiter = pollfd(fd: fileDescriptor, events: Int16(POLLOUT), revents: 0)
                    _ = poll(&waiter, 1, 1000)
                default:
                    // EPIPE, ENOSPC, EIO: the text is lost; remembered, so that the exit status says so.
                    let code = errno
                    lock.withLock { if failure == 0 { failure = code } }
                    return
                }
            }
        }
    }
}
