#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import RUDP

/// A file being received: written to a temporary file in the output directory while its
/// SHA-256 is computed, and moved to its final name only once complete, verified and synced.
/// Discarding (or dropping the object) removes the temporary file.
///
/// Bytes are staged in large chunks that a background queue hashes and writes, so that the
/// receiving thread goes on with the network meanwhile; a write error surfaces at a later
/// `write` or at `commit`, and fails the transfer all the same.
public final class IncomingFile {
    public let directory: String
    public let name: String
    public let finalPath: String
    public let temporaryPath: String
    public private(set) var bytesWritten: UInt64 = 0
    private var descriptor: Int32
    private let overwrite: Bool
    private var isOpen = true
    private let chunks = ChunkRing(label: "rudp.incoming-file", chunkSize: IncomingFile.chunkSize)
    private let writer: ChunkWriter
    /// The chunk being filled, and how much of it is.
    private var current: (index: Int, buffer: UnsafeMutableRawBufferPointer)?
    private var staged = 0
    /// Bytes per write to the file.
    public static let chunkSize = 1 << 18

    /// Creates the temporary file; fails if the final name exists and `overwrite` is false.
    public init(directory: String, name: String, overwrite: Bool, uniqueToken: UInt64) throws(FileError) {
        self.directory = directory
        self.name = name
        self.overwrite = overwrite
        finalPath = Self.path(of: name, in: directory)
        if !overwrite && Self.exists(finalPath) {
            throw FileError(.exists, "'\(name)' already exists in the receiver's directory (the receiver needs --overwrite to replace it)")
        }
        let token = String(uniqueToken, radix: 16)
        temporaryPath = Self.path(of: AbandonedTemporaryFiles.prefix + token + AbandonedTemporaryFiles.suffix, in: directory)
        descriptor = open(temporaryPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw FileError.io("cannot create a file in '\(directory)'", errno: errno)
        }
        // Held until the descriptor closes, also when the process dies: how a later receiver
        // tells an abandoned temporary file from a live one (AbandonedTemporaryFiles).
        _ = flock(descriptor, LOCK_EX | LOCK_NB)
        writer = ChunkWriter(descriptor: descriptor)
    }

    deinit {
        discard()
    }

    /// Appends bytes (staged in memory, hashed and written in large chunks in the background).
    /// Throws the error of an earlier chunk's write, if one failed.
    public func write(_ bytes: UnsafeRawBufferPointer) throws(FileError) {
        // Its descriptor is closed and its number may belong to another file by now.
        guard isOpen else { throw FileError(.io, "'\(temporaryPath)' was already closed") }
        bytesWritten += UInt64(bytes.count)
        var offset = 0
        while offset < bytes.count {
            let chunk: UnsafeMutableRawBufferPointer
            if let current {
                chunk = current.buffer
            } else {
                let (index, buffer, previousStatus) = chunks.acquire()
                current = (index, buffer)
                chunk = buffer
                if previousStatus != 0 { throw writeError(previousStatus) }
            }
            let take = min(bytes.count - offset, chunk.count - staged)
            (chunk.baseAddress! + staged).copyMemory(from: bytes.baseAddress! + offset, byteCount: take)
            staged += take
            offset += take
            if staged == chunk.count { submitCurrent() }
        }
    }

    /// Queues the chunk being filled for hashing and writing.
    private func submitCurrent() {
        guard let current else { return }
        self.current = nil
        defer { staged = 0 }
        guard staged > 0 else { return chunks.releaseUnused() }
        let writer = writer
        chunks.submit(index: current.index, count: staged) { bytes in writer.append(bytes) }
    }

    /// Waits until everything staged is written; throws if any write failed.
    private func flush() throws(FileError) {
        submitCurrent()
        let status = chunks.drain()
        if status != 0 { throw writeError(status) }
    }

    private func writeError(_ code: Int32) -> FileError {
        FileError.io("cannot write '\(temporaryPath)'", errno: code)
    }

    /// Checks size and digest, syncs, and gives the file its final name. Returns the digest.
    @discardableResult
    public func commit(expectedSize: UInt64?, expectedDigest: SHA256Digest) throws(FileError) -> SHA256Digest {
        try flush()
        let writer = writer
        let digest = chunks.sync { writer.hasher.finalize() }
        if let expectedSize, expectedSize != bytesWritten {
            throw FileError(.integrity, "integrity failure: received \(bytesWritten) bytes, the sender sent \(expectedSize)")
        }
        guard digest == expectedDigest else {
            throw FileError(.integrity, "integrity failure: SHA-256 of the received bytes does not match the sender's")
        }
        guard fsync(descriptor) == 0 else { throw FileError.io("cannot sync '\(temporaryPath)'", errno: errno) }
        Glibc.close(descriptor)
        isOpen = false
        if overwrite {
            guard rename(temporaryPath, finalPath) == 0 else {
                let code = errno
                unlink(temporaryPath)
                throw FileError.io("cannot rename to '\(finalPath)'", errno: code)
            }
        } else {
            // link() refuses to replace an existing file: no window in which one could be clobbered.
            if link(temporaryPath, finalPath) != 0 {
                let code = errno
                unlink(temporaryPath)
                if code == EEXIST {
                    throw FileError(.exists, "'\(name)' already exists in the receiver's directory (the receiver needs --overwrite to replace it)")
                }
                throw FileError.io("cannot create '\(finalPath)'", errno: code)
            }
            unlink(temporaryPath)
        }
        syncDirectory()
        return digest
    }

    /// Removes the temporary file (idempotent); the final name is never touched.
    public func discard() {
        guard isOpen else { return }
        // Queued writes use the descriptor: let them end before it is closed (and reused).
        _ = chunks.drain()
        Glibc.close(descriptor)
        unlink(temporaryPath)
        isOpen = false
    }

    private func syncDirectory() {
        let directoryDescriptor = open(directory, O_RDONLY | O_CLOEXEC)
        guard directoryDescriptor >= 0 else { return }
        fsync(directoryDescriptor)
        Glibc.close(directoryDescriptor)
    }

    /// `name` inside `directory` (which may or may not end in a slash).
    static func path(of name: String, in directory: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }

    static func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    /// Checks at start-up that `directory` exists and is writable, or says why not.
    public static func checkWritableDirectory(_ directory: String) throws(FileError) {
        var info = stat()
        guard stat(directory, &info) == 0 else { throw FileError.io("output directory '\(directory)'", errno: errno) }
        guard (info.st_mode & S_IFMT) == S_IFDIR else { throw FileError(.io, "output directory '\(directory)' is not a directory") }
        guard access(directory, W_OK | X_OK) == 0 else {
            throw FileError(.io, "output directory '\(directory)' is not writable")
        }
    }
}

/// Hashes and writes an `IncomingFile`'s chunks in order; touched only on its ring's queue.
private final class ChunkWriter: @unchecked Sendable {
    let descriptor: Int32
    var hasher = SHA256()
    /// The errno of the first failed write; later chunks are not written after it.
    private var failure: Int32 = 0

    init(descriptor: Int32) { self.descriptor = descriptor }

    /// Hashes and writes `bytes`; returns 0, or the errno of this or an earlier failed write.
    func append(_ bytes: UnsafeRawBufferPointer) -> Int32 {
        guard failure == 0 else { return failure }
        hasher.update(bytes)
        var offset = 0
        while offset < bytes.count {
            let written = Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                failure = errno
                return failure
            }
            offset += written
        }
        return 0
    }
}
