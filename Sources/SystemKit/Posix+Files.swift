#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CRUDPShim

// The C functions under names that `Posix`'s own members do not shadow. `open` is variadic in
// C and `stat` is also a type, so these are functions rather than constants.
private func sysOpen(_ path: UnsafePointer<CChar>, _ flags: Int32, _ mode: mode_t) -> Int32 { open(path, flags, mode) }
private func sysWriteFile(_ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int { write(fd, bytes, count) }
private func sysFsync(_ fd: Int32) -> Int32 { fsync(fd) }
private func sysFlock(_ fd: Int32, _ operation: Int32) -> Int32 { flock(fd, operation) }
private func sysRename(_ from: UnsafePointer<CChar>, _ to: UnsafePointer<CChar>) -> Int32 { rename(from, to) }
private func sysLink(_ from: UnsafePointer<CChar>, _ to: UnsafePointer<CChar>) -> Int32 { link(from, to) }
private func sysUnlink(_ path: UnsafePointer<CChar>) -> Int32 { unlink(path) }
private func sysAccess(_ path: UnsafePointer<CChar>, _ mode: Int32) -> Int32 { access(path, mode) }
private func sysFstat(_ fd: Int32, _ info: UnsafeMutablePointer<stat>) -> Int32 { fstat(fd, info) }
private func sysStat(_ path: UnsafePointer<CChar>, _ info: UnsafeMutablePointer<stat>) -> Int32 { stat(path, info) }
private func sysLstat(_ path: UnsafePointer<CChar>, _ info: UnsafeMutablePointer<stat>) -> Int32 { lstat(path, info) }

extension Posix {
    // MARK: - Files

    /// `open(2)`; the descriptor is always close-on-exec. `mode` matters only with `O_CREAT`.
    public static func open(_ path: String, flags: Int32, mode: mode_t = 0) throws(SystemError) -> Int32 {
        try open(FilePath(path), flags: flags, mode: mode)
    }

    /// `open(2)` of a path given as bytes.
    public static func open(_ path: FilePath, flags: Int32, mode: mode_t = 0) throws(SystemError) -> Int32 {
        try retrying("open") { path.withCString { sysOpen($0, flags | O_CLOEXEC, mode) } }
    }

    /// Writes all of `bytes` to a blocking descriptor (a file), looping over partial writes;
    /// the first failure throws (ENOSPC, EFBIG, ...), with what came before it written.
    public static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) throws(SystemError) {
        guard var next = bytes.baseAddress else { return }
        var left = bytes.count
        while left > 0 {
            let written = try retrying("write") { sysWriteFile(fd, next, left) }
            next += written
            left -= written
        }
    }

    /// Flushes the file's data and metadata to stable storage. On Darwin `fsync` stops at the
    /// drive's cache, so `F_FULLFSYNC` is asked first, and `fsync` is the fallback for file
    /// systems that refuse it.
    public static func fsync(_ fd: Int32) throws(SystemError) {
        #if canImport(Darwin)
        if Darwin.fcntl(fd, F_FULLFSYNC) != -1 { return }
        #endif
        _ = try retrying("fsync") { sysFsync(fd) }
    }

    /// Starts writing `length` bytes of the file from `offset` to storage without waiting (Linux;
    /// nothing elsewhere), so that a later `fsync` has less left to do. Advisory: a failure
    /// (a file system that cannot) changes nothing, and `fsync` reports any real write error.
    public static func startWriteback(_ fd: Int32, offset: Int64, length: Int64) {
        _ = crudp_start_writeback(fd, offset, length)
    }

    /// `flock(2)`; with `LOCK_NB` in `operation`, false when another descriptor holds the lock.
    public static func flock(_ fd: Int32, _ operation: Int32) throws(SystemError) -> Bool {
        try retryingUnlessWouldBlock("flock") { sysFlock(fd, operation) } != nil
    }

    /// `fstat(2)`.
    public static func fstat(_ fd: Int32) throws(SystemError) -> FileStatus {
        var info = FileStatus.Raw()
        _ = try retrying("fstat") { sysFstat(fd, &info) }
        return FileStatus(info)
    }

    /// `stat(2)`: the status of what `path` names, following symbolic links.
    public static func stat(_ path: String) throws(SystemError) -> FileStatus {
        try stat(FilePath(path))
    }

    /// `stat(2)` of a path given as bytes.
    public static func stat(_ path: FilePath) throws(SystemError) -> FileStatus {
        var info = FileStatus.Raw()
        _ = try retrying("stat") { path.withCString { sysStat($0, &info) } }
        return FileStatus(info)
    }

    /// `lstat(2)`: like `stat`, but a symbolic link is described itself.
    public static func lstat(_ path: String) throws(SystemError) -> FileStatus {
        try lstat(FilePath(path))
    }

    /// `lstat(2)` of a path given as bytes.
    public static func lstat(_ path: FilePath) throws(SystemError) -> FileStatus {
        var info = FileStatus.Raw()
        _ = try retrying("lstat") { path.withCString { sysLstat($0, &info) } }
        return FileStatus(info)
    }

    /// `access(2)`: throws (EACCES, ENOENT, ...) unless every permission in `mode` is granted.
    public static func access(_ path: String, _ mode: Int32) throws(SystemError) {
        try access(FilePath(path), mode)
    }

    /// `access(2)` of a path given as bytes.
    public static func access(_ path: FilePath, _ mode: Int32) throws(SystemError) {
        _ = try retrying("access") { path.withCString { sysAccess($0, mode) } }
    }

    // MARK: - Names

    /// `rename(2)`: moves `from` to `to`, replacing whatever `to` named.
    public static func rename(_ from: String, to: String) throws(SystemError) {
        try rename(FilePath(from), to: FilePath(to))
    }

    /// `rename(2)` of paths given as bytes.
    public static func rename(_ from: FilePath, to: FilePath) throws(SystemError) {
        _ = try retrying("rename") { from.withCString { source in to.withCString { sysRename(source, $0) } } }
    }

    /// `link(2)`: gives `from`'s file the name `to` too; EEXIST if `to` exists, never replaced.
    public static func link(_ from: String, to: String) throws(SystemError) {
        try link(FilePath(from), to: FilePath(to))
    }

    /// `link(2)` of paths given as bytes.
    public static func link(_ from: FilePath, to: FilePath) throws(SystemError) {
        _ = try retrying("link") { from.withCString { source in to.withCString { sysLink(source, $0) } } }
    }

    /// `unlink(2)`.
    public static func unlink(_ path: String) throws(SystemError) {
        try unlink(FilePath(path))
    }

    /// `unlink(2)` of a path given as bytes.
    public static func unlink(_ path: FilePath) throws(SystemError) {
        _ = try retrying("unlink") { path.withCString { sysUnlink($0) } }
    }

    /// The names in `directory` (`opendir`/`readdir`), without `.` and `..`, in the order the
    /// file system gives them.
    public static func directoryEntries(_ directory: String) throws(SystemError) -> [String] {
        try directoryEntries(FilePath(directory))
    }

    /// The names in a directory given as bytes (names that are not UTF-8 come back repaired,
    /// with U+FFFD, so they name no file: look for names of a known shape only).
    public static func directoryEntries(_ directory: FilePath) throws(SystemError) -> [String] {
        guard let stream = directory.withCString({ opendir($0) }) else { throw SystemError(errno: errno, call: "opendir") }
        defer { closedir(stream) }
        var names: [String] = []
        while true {
            // readdir reports an error only through errno, and only if errno was clear before.
            errno = 0
            guard let entry = readdir(stream) else {
                if errno != 0 { throw SystemError(errno: errno, call: "readdir") }
                return names
            }
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
    }
}

/// What `stat(2)` says about a file, with the fields read the same way on Linux and Darwin.
public struct FileStatus: Sendable {
    typealias Raw = stat
    /// The `st_mode` bits: type and permissions.
    public let mode: mode_t
    /// Size in bytes (`st_size`).
    public let size: Int64
    /// Last modification, nanoseconds since the Unix epoch (0 for times before it).
    public let modificationNanoseconds: UInt64
    /// The owner's user ID (`st_uid`).
    public let ownerID: uid_t

    init(_ info: Raw) {
        mode = info.st_mode
        ownerID = info.st_uid
        size = Int64(info.st_size)
        #if canImport(Darwin)
        let modified = info.st_mtimespec
        #else
        let modified = info.st_mtim
        #endif
        modificationNanoseconds = UInt64(max(0, modified.tv_sec)) * 1_000_000_000 + UInt64(max(0, modified.tv_nsec))
    }

    /// A regular file.
    public var isRegularFile: Bool { mode & S_IFMT == S_IFREG }
    /// A directory.
    public var isDirectory: Bool { mode & S_IFMT == S_IFDIR }
}
