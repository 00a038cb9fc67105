#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import RUDP

/// A file being received: written to a temporary file in the output directory while its
/// SHA-256 is computed, and moved to its final name only once complete, verified and synced.
/// Discarding (or dropping the object) removes the temporary file.
public final class IncomingFile {
    public let directory: String
    public let name: String
    public let finalPath: String
    public let temporaryPath: String
    public private(set) var bytesWritten: UInt64 = 0
    private var descriptor: Int32
    private var hasher = SHA256()
    private let overwrite: Bool
    private var isOpen = true
    private let staging: UnsafeMutableRawBufferPointer
    private var staged = 0
    private static let stagingSize = 1 << 20

    /// Creates the temporary file; fails if the final name exists and `overwrite` is false.
    public init(directory: String, name: String, overwrite: Bool, uniqueToken: UInt64) throws(FileError) {
        self.directory = directory
        self.name = name
        self.overwrite = overwrite
        finalPath = directory.hasSuffix("/") ? directory + name : directory + "/" + name
        if !overwrite && Self.exists(finalPath) {
            throw FileError(.exists, "'\(name)' already exists in the receiver's directory (the receiver needs --overwrite to replace it)")
        }
        let token = String(uniqueToken, radix: 16)
        temporaryPath = (directory.hasSuffix("/") ? directory : directory + "/") + ".rudp-\(token).part"
        descriptor = open(temporaryPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw FileError.io("cannot create a file in '\(directory)'", errno: errno)
        }
        staging = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.stagingSize, alignment: 16)
    }

    deinit {
        discard()
        staging.deallocate()
    }

    /// Appends bytes (staged in memory and written in large chunks).
    public func write(_ bytes: UnsafeRawBufferPointer) throws(FileError) {
        hasher.update(bytes)
        bytesWritten += UInt64(bytes.count)
        var offset = 0
        while offset < bytes.count {
            let take = min(bytes.count - offset, staging.count - staged)
            UnsafeMutableRawBufferPointer(rebasing: staging[staged..<(staged + take)])
                .copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + take)]))
            staged += take
            offset += take
            if staged == staging.count { try flush() }
        }
    }

    private func flush() throws(FileError) {
        var offset = 0
        while offset < staged {
            let written = Glibc.write(descriptor, staging.baseAddress! + offset, staged - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw FileError.io("cannot write '\(temporaryPath)'", errno: errno)
            }
            offset += written
        }
        staged = 0
    }

    /// Checks size and digest, syncs, and gives the file its final name. Returns the digest.
    @discardableResult
    public func commit(expectedSize: UInt64?, expectedDigest: SHA256Digest) throws(FileError) -> SHA256Digest {
        try flush()
        let digest = hasher.finalize()
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
