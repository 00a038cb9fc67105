#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CLIKit
import SystemKit
import RUDP

/// The file (or standard input) being sent: read in chunks, with its SHA-256 computed on the
/// way by the sending thread itself, in short slices while it waits for the network.
///
/// Why not a second thread: the sender, the receiver and their hashing already need more CPU
/// than a small machine has, and a hashing thread competes with the network thread for it; a
/// network thread that loses its CPU for a scheduler tick stalls the whole window. Hashing
/// (and reading ahead) in the gaps of the network loop (`performIdleWork`) uses exactly the
/// time the loop would otherwise spend waiting, on data still in this CPU's cache.
public final class OutgoingFile {
    /// The path as given (`-` for standard input), as bytes: it need not be UTF-8.
    public let path: FilePath
    /// The path as it may be shown on a terminal (escaped).
    public let shownPath: String
    /// Size in bytes for a regular file; nil for a pipe or terminal.
    public let size: UInt64?
    /// The regular file's modification time when it was opened: a file rewritten while it is
    /// sent would otherwise go out as a mix of two versions, or short.
    private let modificationAtOpen: UInt64
    /// Bytes read from the file so far (ahead of what was handed out).
    private var bytesReadFromFile: UInt64 = 0
    /// True when reads may block (a pipe or terminal): wait for readability first.
    public let isStream: Bool
    public let fileDescriptor: Int32
    /// Bytes handed to the caller so far.
    public private(set) var bytesRead: UInt64 = 0
    /// True once `read` has returned the end (then `digest` is final).
    public private(set) var reachedEnd = false
    private var digestValue: SHA256Digest?
    private var hashing = ChunkHashing()

    // The ring. Counted from the start of the file: chunks read from the file, chunks
    // completely hashed (`hashing.chunksHashed`), chunks handed to the caller.
    private let slots: ChunkSlots
    private var chunksRead = 0
    private var chunksHandedOut = 0
    /// Whether the last chunk handed out is still in use (until the next `read`).
    private var lastChunkInUse = false
    private var endOfInput = false
    /// A read-ahead that failed: thrown by the `read` that would have returned its chunk.
    private var readAheadFailure: FileError?
    /// What `read(into:)` has not copied out yet of the last chunk.
    private var pending = UnsafeRawBufferPointer(start: nil, count: 0)

    /// Bytes per read from the file.
    public static let chunkSize = 1 << 16
    /// Chunks read ahead at most (also the memory held: 512 KiB).
    static let chunkCount = 8

    public convenience init(path: String) throws(FileError) {
        try self.init(path: FilePath(path))
    }

    /// Opens the file a path given as bytes names (`-`: standard input).
    public init(path: FilePath) throws(FileError) {
        self.path = path
        let shownPath = TerminalText.escaping(path.bytes)
        self.shownPath = shownPath
        if path.bytes == [UInt8(ascii: "-")] {
            fileDescriptor = STDIN_FILENO
        } else {
            do { fileDescriptor = try Posix.open(path, flags: O_RDONLY) } catch {
                throw FileError.io("cannot open '\(shownPath)'", error)
            }
        }
        let info: FileStatus
        do { info = try Posix.fstat(fileDescriptor) } catch {
            if fileDescriptor != STDIN_FILENO { try? Posix.close(fileDescriptor) }
            throw FileError.io("cannot read '\(shownPath)'", error)
        }
        if info.isDirectory {
            if fileDescriptor != STDIN_FILENO { try? Posix.close(fileDescriptor) }
            throw FileError(.io, "'\(shownPath)' is a directory, not a file")
        }
        isStream = !info.isRegularFile
        size = isStream ? nil : UInt64(info.size)
        modificationAtOpen = info.modificationNanoseconds
        slots = ChunkSlots(chunkSize: Self.chunkSize, count: Self.chunkCount)
    }

    deinit {
        if fileDescriptor != STDIN_FILENO { try? Posix.close(fileDescriptor) }
        slots.deallocate()
    }

    /// The last path component, the name a receiver gets by default (its exact bytes).
    public var defaultName: [UInt8] { path.lastComponent }

    /// Reads the next chunk (up to `chunkSize` bytes) and returns it, valid until the next call
    /// to either read method; empty means the end was reached (then `digest` is final).
    public func read() throws(FileError) -> UnsafeRawBufferPointer {
        if !pending.isEmpty {
            defer { pending = UnsafeRawBufferPointer(start: nil, count: 0) }
            return pending
        }
        lastChunkInUse = false
        if chunksHandedOut == chunksRead {
            if let readAheadFailure { throw readAheadFailure }
            if !endOfInput {
                hashUntilSlotFree(for: chunksRead)
                try readChunk()
            }
            if endOfInput && chunksHandedOut == chunksRead {
                if !reachedEnd {
                    hashUntil(chunks: chunksRead)
                    digestValue = hashing.finalize()
                    reachedEnd = true
                }
                return UnsafeRawBufferPointer(start: nil, count: 0)
            }
        }
        let chunk = chunksHandedOut
        chunksHandedOut += 1
        lastChunkInUse = true
        let bytes = slots.filled(chunk)
        bytesRead += UInt64(bytes.count)
        return bytes
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

    /// Does one short piece of the work `read` would otherwise do later: hashes a slice of a
    /// chunk already read, or reads the next chunk ahead (regular files only: a pipe could
    /// block). Returns false when there is nothing to do now.
    public func performIdleWork() -> Bool {
        if hashing.chunksHashed < chunksRead {
            hashSlice()
            return true
        }
        guard !isStream, !endOfInput, readAheadFailure == nil, slotIsFree(for: chunksRead) else { return false }
        do {
            try readChunk()
        } catch {
            readAheadFailure = error
            return false
        }
        return true
    }

    // MARK: The ring

    /// Whether `chunk`'s slot no longer holds a chunk that is unhashed, not yet handed out, or in use.
    private func slotIsFree(for chunk: Int) -> Bool {
        let previous = chunk - Self.chunkCount
        let released = lastChunkInUse ? chunksHandedOut - 1 : chunksHandedOut
        return previous < 0 || (previous < hashing.chunksHashed && previous < released)
    }

    /// Makes `chunk`'s slot free by hashing; the caller knows everything before it was handed out.
    private func hashUntilSlotFree(for chunk: Int) {
        hashUntil(chunks: chunk - Self.chunkCount + 1)
    }

    private func hashUntil(chunks count: Int) {
        while hashing.chunksHashed < min(count, chunksRead) { hashSlice() }
    }

    /// Hashes a slice of the oldest chunk read and not yet hashed.
    private func hashSlice() {
        _ = hashing.hashSlice(of: slots.filled(hashing.chunksHashed))
    }

    /// Reads chunk `chunksRead` into its (free) slot; a read of nothing marks the end of input.
    private func readChunk() throws(FileError) {
        let count: Int
        do throws(SystemError) {
            // A stream is read only once poll says it is readable, so "would block" is a failure too.
            guard let read = try Posix.read(fileDescriptor, slots.buffer(chunksRead)) else {
                throw SystemError(errno: EAGAIN, call: "read")
            }
            count = read
        } catch {
            throw FileError.io("cannot read '\(shownPath)'", error)
        }
        bytesReadFromFile += UInt64(count)
        if let size, !isStream { try checkUnchanged(size: size, atEnd: count == 0) }
        if count == 0 {
            endOfInput = true
        } else {
            slots.setFilled(chunksRead, byteCount: count)
            chunksRead += 1
        }
    }

    /// Fails once what was read shows that the regular file changed since it was opened: more
    /// bytes than its size, fewer at its end, or (at the end) another size or modification time.
    /// The receiver must not confirm a file that is neither the old version nor the new one.
    private func checkUnchanged(size: UInt64, atEnd: Bool) throws(FileError) {
        var change: String?
        if bytesReadFromFile > size {
            change = "it grew beyond the \(size) bytes it had when the send began"
        } else if atEnd && bytesReadFromFile < size {
            change = "it ended after \(bytesReadFromFile) of the \(size) bytes it had when the send began"
        } else if atEnd, let info = try? Posix.fstat(fileDescriptor),
                  UInt64(info.size) != size || info.modificationNanoseconds != modificationAtOpen {
            change = "it was modified while it was read"
        }
        guard let change else { return }
        throw FileError(.io, "'\(shownPath)' changed while it was sent (\(change)); nothing was saved, send it again")
    }
}
