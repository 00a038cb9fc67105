#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CLIKit
import SystemKit
import RUDP

/// A file being received: written to a temporary file in the output directory while its
/// SHA-256 is computed, and moved to its final name only once complete, verified and synced.
/// Discarding (or dropping the object) removes the temporary file.
///
/// Bytes are staged in chunks that the receiving thread hashes and writes in short slices
/// while it waits for the network (`performIdleWork`; see `OutgoingFile` for why not a second
/// thread), or at once when every chunk is full; a write error surfaces at a later `write` or at
/// `commit`, and fails the transfer all the same.
public final class IncomingFile {
    public let directory: FilePath
    public let name: String
    public let finalPath: FilePath
    public let temporaryPath: FilePath
    public private(set) var bytesWritten: UInt64 = 0
    private var descriptor: Int32
    private let overwrite: Bool
    private var isOpen = true
    /// Also counts the chunks done: a chunk is written the moment its hashing ends.
    private var hashing = ChunkHashing()
    // The ring. Counted from the start of the file: chunks staged completely (or flushed),
    // chunks hashed and written (`hashing.chunksHashed`).
    private let slots: ChunkSlots
    private var chunksStaged = 0
    /// Bytes of chunk `chunksStaged` (the one being filled) staged so far.
    private var staged = 0
    /// The errno of the first failed write; nothing is written after it.
    private var writeFailure: Int32 = 0
    /// Bytes written to the file so far, and the first of them not yet handed to writeback.
    private var bytesInFile: Int64 = 0
    private var writebackStart: Int64 = 0
    /// Written bytes handed to the kernel's writeback at a time: without it, the whole file is
    /// still in the page cache when the transfer ends, and the fsync before the confirmation
    /// writes all of it while the sender waits (40 ms for 50 MB here).
    static let writebackBatch: Int64 = 8 << 20
    /// Times a batch was handed to writeback.
    private(set) var writebacksStarted = 0
    /// Bytes per write to the file.
    public static let chunkSize = 1 << 16
    /// Chunks staged at most (also the memory held: 512 KiB).
    static let chunkCount = 8

    /// Creates the temporary file; fails if the final name exists and `overwrite` is false.
    public convenience init(directory: String, name: String, overwrite: Bool, uniqueToken: UInt64) throws(FileError) {
        try self.init(directory: FilePath(directory), name: name, overwrite: overwrite, uniqueToken: uniqueToken)
    }

    /// Creates the temporary file in a directory given as bytes (it need not be UTF-8).
    public init(directory: FilePath, name: String, overwrite: Bool, uniqueToken: UInt64) throws(FileError) {
        self.directory = directory
        self.name = name
        self.overwrite = overwrite
        finalPath = directory.appending(name)
        if !overwrite && Self.exists(finalPath) {
            throw FileError(.exists, "'\(name)' already exists in the receiver's directory (the receiver needs --overwrite to replace it)")
        }
        let token = String(uniqueToken, radix: 16)
        temporaryPath = directory.appending(AbandonedTemporaryFiles.prefix + token + AbandonedTemporaryFiles.suffix)
        do {
            descriptor = try Posix.open(temporaryPath, flags: O_WRONLY | O_CREAT | O_EXCL, mode: 0o644)
        } catch {
            throw FileError.io("cannot create a file in '\(Self.shown(directory))'", error)
        }
        // Held until the descriptor closes, also when the process dies: how a later receiver
        // tells an abandoned temporary file from a live one (AbandonedTemporaryFiles).
        _ = try? Posix.flock(descriptor, LOCK_EX | LOCK_NB)
        slots = ChunkSlots(chunkSize: Self.chunkSize, count: Self.chunkCount)
    }

    deinit {
        discard()
        slots.deallocate()
    }

    /// Appends bytes (staged in memory, hashed and written in chunks later). Throws the error of
    /// an earlier chunk's write, if one failed.
    public func write(_ bytes: UnsafeRawBufferPointer) throws(FileError) {
        // Its descriptor is closed and its number may belong to another file by now.
        guard isOpen else { throw FileError(.io, "'\(Self.shown(temporaryPath))' was already closed") }
        if writeFailure != 0 { throw writeError(writeFailure) }
        bytesWritten += UInt64(bytes.count)
        var offset = 0
        while offset < bytes.count {
            if staged == 0 {
                // Starting a chunk: its slot must have been written out.
                while chunksStaged - hashing.chunksHashed >= Self.chunkCount { processSlice() }
            }
            let take = min(bytes.count - offset, Self.chunkSize - staged)
            (slots.buffer(chunksStaged).baseAddress! + staged).copyMemory(from: bytes.baseAddress! + offset, byteCount: take)
            staged += take
            offset += take
            if staged == Self.chunkSize { closeCurrentChunk() }
        }
    }

    /// Hashes and writes one slice of what is staged; false when nothing is waiting but the
    /// chunk still being filled.
    public func performIdleWork() -> Bool {
        guard isOpen, hashing.chunksHashed < chunksStaged else { return false }
        processSlice()
        return true
    }

    /// Ends the chunk being filled (if it has anything) so that it gets hashed and written.
    private func closeCurrentChunk() {
        guard staged > 0 else { return }
        slots.setFilled(chunksStaged, byteCount: staged)
        chunksStaged += 1
        staged = 0
    }

    /// Hashes a slice of the oldest staged chunk; once it is all hashed, writes it.
    private func processSlice() {
        let bytes = slots.filled(hashing.chunksHashed)
        guard hashing.hashSlice(of: bytes) else { return }
        guard writeFailure == 0 else { return }
        do { try Posix.writeAll(descriptor, bytes) } catch {
            writeFailure = error.errno
            return
        }
        bytesInFile += Int64(bytes.count)
        if bytesInFile - writebackStart >= Self.writebackBatch {
            Posix.startWriteback(descriptor, offset: writebackStart, length: bytesInFile - writebackStart)
            writebackStart = bytesInFile
            writebacksStarted += 1
        }
    }

    /// Hashes and writes everything staged; throws if any write failed.
    private func flush() throws(FileError) {
        closeCurrentChunk()
        while hashing.chunksHashed < chunksStaged { processSlice() }
        if writeFailure != 0 { throw writeError(writeFailure) }
    }

    private func writeError(_ code: Int32) -> FileError {
        FileError.io("cannot write '\(Self.shown(temporaryPath))'", errno: code)
    }

    /// Checks size and digest, syncs, and gives the file its final name. Returns the digest.
    /// `announcedSize` is the size the sender gave when it began (nil: unknown, a pipe),
    /// `finalSize` the count it gave at the end; either one differing from what arrived
    /// refuses the file: a file that changed while it was sent is neither version.
    @discardableResult
    public func commit(announcedSize: UInt64?, finalSize: UInt64? = nil, expectedDigest: SHA256Digest) throws(FileError)
        -> SHA256Digest {
        try flush()
        let digest = hashing.finalize()
        if let finalSize, finalSize != bytesWritten {
            throw FileError(.integrity, "integrity failure: the sender says it sent \(finalSize) bytes, \(bytesWritten) arrived")
        }
        if let announcedSize, announcedSize != bytesWritten {
            throw FileError(.integrity, "integrity failure: the sender announced \(announcedSize) bytes and sent "
                + "\(bytesWritten) (did the file change while it was sent?); nothing was saved")
        }
        guard digest == expectedDigest else {
            throw FileError(.integrity, "integrity failure: SHA-256 of the received bytes does not match the sender's")
        }
        do { try Posix.fsync(descriptor) } catch { throw FileError.io("cannot sync '\(Self.shown(temporaryPath))'", error) }
        try? Posix.close(descriptor)
        isOpen = false
        if overwrite {
            do { try Posix.rename(temporaryPath, to: finalPath) } catch {
                try? Posix.unlink(temporaryPath)
                throw FileError.io("cannot rename to '\(Self.shown(finalPath))'", error)
            }
        } else {
            // link() refuses to replace an existing file: no window in which one could be clobbered.
            do { try Posix.link(temporaryPath, to: finalPath) } catch {
                try? Posix.unlink(temporaryPath)
                if error.errno == EEXIST {
                    throw FileError(.exists, "'\(name)' appeared in the receiver's directory while the file was received, "
                        + "and is kept (the receiver needs --overwrite to replace it)")
                }
                throw FileError.io("cannot create '\(Self.shown(finalPath))'", error)
            }
            try? Posix.unlink(temporaryPath)
        }
        syncDirectory()
        return digest
    }

    /// Removes the temporary file (idempotent); the final name is never touched.
    public func discard() {
        guard isOpen else { return }
        try? Posix.close(descriptor)
        try? Posix.unlink(temporaryPath)
        isOpen = false
    }

    private func syncDirectory() {
        guard let directoryDescriptor = try? Posix.open(directory, flags: O_RDONLY) else { return }
        try? Posix.fsync(directoryDescriptor)
        try? Posix.close(directoryDescriptor)
    }

    /// A path as it may be shown on a terminal (escaped: it need not be UTF-8).
    static func shown(_ path: FilePath) -> String { TerminalText.escaping(path.bytes) }

    static func exists(_ path: FilePath) -> Bool {
        (try? Posix.lstat(path)) != nil
    }

    /// Checks at start-up that `directory` exists and is writable, or says why not.
    public static func checkWritableDirectory(_ directory: FilePath) throws(FileError) {
        let info: FileStatus
        let shown = shown(directory)
        do { info = try Posix.stat(directory) } catch { throw FileError.io("output directory '\(shown)'", error) }
        guard info.isDirectory else { throw FileError(.io, "output directory '\(shown)' is not a directory") }
        guard (try? Posix.access(directory, W_OK | X_OK)) != nil else {
            throw FileError(.io, "output directory '\(shown)' is not writable")
        }
    }
}
