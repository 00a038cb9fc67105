#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import RUDP

/// The file (or standard input) being sent: read in large chunks with its SHA-256 computed
/// on the way.
public final class OutgoingFile {
    /// The path as given (`-` for standard input).
    public let path: String
    /// Size in bytes for a regular file; nil for a pipe or terminal.
    public let size: UInt64?
    /// True when reads may block (a pipe or terminal): wait for readability first.
    public let isStream: Bool
    public let fileDescriptor: Int32
    public private(set) var bytesRead: UInt64 = 0
    public private(set) var reachedEnd = false
    private var hasher = SHA256()
    private var digestValue: SHA256Digest?

    public init(path: String) throws(FileError) {
        self.path = path
        if path == "-" {
            fileDescriptor = STDIN_FILENO
        } else {
            fileDescriptor = open(path, O_RDONLY | O_CLOEXEC)
            guard fileDescriptor >= 0 else { throw FileError.io("cannot open '\(path)'", errno: errno) }
        }
        var info = stat()
        guard fstat(fileDescriptor, &info) == 0 else { throw FileError.io("cannot read '\(path)'", errno: errno) }
        let type = info.st_mode & S_IFMT
        if type == S_IFDIR { throw FileError(.io, "'\(path)' is a directory, not a file") }
        isStream = type != S_IFREG
        size = isStream ? nil : UInt64(info.st_size)
    }

    deinit {
        if fileDescriptor != STDIN_FILENO { close(fileDescriptor) }
    }

    /// The last path component, the name a receiver gets by default.
    public var defaultName: String {
        path.split(separator: "/", omittingEmptySubsequences: true).last.map(String.init) ?? path
    }

    /// Reads up to `buffer.count` bytes; 0 means the end was reached (then `digest` is final).
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(FileError) -> Int {
        guard !reachedEnd, buffer.count > 0 else { return 0 }
        while true {
            let count = Glibc.read(fileDescriptor, buffer.baseAddress!, buffer.count)
            if count < 0 {
                if errno == EINTR { continue }
                throw FileError.io("cannot read '\(path)'", errno: errno)
            }
            if count == 0 {
                reachedEnd = true
                digestValue = hasher.finalize()
                return 0
            }
            hasher.update(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
            bytesRead += UInt64(count)
            return count
        }
    }

    /// The SHA-256 of everything read, once the end was reached.
    public var digest: SHA256Digest? { digestValue }
}
