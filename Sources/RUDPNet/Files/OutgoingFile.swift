#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import RUDP

/// The file (or standard input) being sent: read in large chunks with its SHA-256 computed
/// on the way, on a background queue, so that hashing one chunk overlaps sending the previous.
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
    private var digestValue: SHA256Digest?
    private let chunks = ChunkRing(label: "rudp.outgoing-sha256", chunkSize: OutgoingFile.chunkSize)
    private let digestState = RunningDigest()
    /// What `read(into:)` has not copied out yet of the last chunk read.
    private var pending = UnsafeRawBufferPointer(start: nil, count: 0)
    /// Bytes per read from the file.
    public static let chunkSize = 1 << 18

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

    /// Reads the next chunk (up to `chunkSize` bytes) and returns it, valid until the next call
    /// to either read method; empty means the end was reached (then `digest` is final).
    public func read() throws(FileError) -> UnsafeRawBufferPointer {
        if !pending.isEmpty {
            defer { pending = UnsafeRawBufferPointer(start: nil, count: 0) }
            return pending
        }
        guard !reachedEnd else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        let (index, chunk, _) = chunks.acquire()
        while true {
            let count = Glibc.read(fileDescriptor, chunk.baseAddress!, chunk.count)
            if count < 0 {
                if errno == EINTR { continue }
                let code = errno
                chunks.releaseUnused()
                throw FileError.io("cannot read '\(path)'", errno: code)
            }
            if count == 0 {
                chunks.releaseUnused()
                reachedEnd = true
                let state = digestState
                digestValue = chunks.sync { state.hasher.finalize() }
                return UnsafeRawBufferPointer(start: nil, count: 0)
            }
            let state = digestState
            chunks.submit(index: index, count: count) { bytes in
                state.hasher.update(bytes)
                return 0
            }
            bytesRead += UInt64(count)
            return UnsafeRawBufferPointer(rebasing: chunk[0..<count])
        }
    }

    /// Copies up to `buffer.count` bytes into `buffer`; 0 means the end was reached (then
    /// `digest` is final).
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(FileError) -> Int {
        guard buffer.count > 0 else { return 0 }
        if pending.isEmpty {
            pending = try read()
            if pending.isEmpty { return 0 }
        }
        let count = min(buffer.count, pending.count)
        buffer.baseAddress!.copyMemory(from: pending.baseAddress!, byteCount: count)
        pending = UnsafeRawBufferPointer(rebasing: pending[count...])
        return count
    }

    /// The SHA-256 of everything read, once the end was reached.
    public var digest: SHA256Digest? { digestValue }
}

/// The hash state of an `OutgoingFile`, touched only on its chunk ring's queue.
private final class RunningDigest: @unchecked Sendable {
    var hasher = SHA256()
}
