#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Testing
@testable import SystemKit

/// A fresh directory under /tmp, removed (with its files) by `remove`.
struct ScratchDirectory {
    let path: String

    init() throws {
        var template = Array("/tmp/systemkit-files-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        path = String(cString: try #require(made))
    }

    func file(_ name: String) -> String { path + "/" + name }

    /// Creates `name` holding `bytes`.
    func write(_ name: String, _ bytes: [UInt8]) throws {
        let fd = try Posix.open(file(name), flags: O_WRONLY | O_CREAT | O_TRUNC, mode: 0o644)
        defer { try? Posix.close(fd) }
        try bytes.withUnsafeBytes { try Posix.writeAll(fd, $0) }
    }

    /// The whole content of `name`.
    func contents(_ name: String) throws -> [UInt8] {
        let fd = try Posix.open(file(name), flags: O_RDONLY)
        defer { try? Posix.close(fd) }
        var collected: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while let count = try buffer.withUnsafeMutableBytes({ try Posix.read(fd, $0) }), count > 0 {
            collected += buffer[..<count]
        }
        return collected
    }

    func remove() {
        for name in (try? Posix.directoryEntries(path)) ?? [] { try? Posix.unlink(file(name)) }
        rmdir(path)
    }
}

/// Expects `body` to fail with `SystemError` naming `call` and carrying `errno`.
func expectSystemError(_ call: String, _ code: Int32, sourceLocation: SourceLocation = #_sourceLocation,
                       _ body: () throws -> Void) {
    do {
        try body()
        Issue.record("\(call) did not fail", sourceLocation: sourceLocation)
    } catch let error as SystemError {
        #expect(error == SystemError(errno: code, call: call), sourceLocation: sourceLocation)
        #expect(error.description == "\(call): \(SystemError.message(for: code)) (errno \(code))", sourceLocation: sourceLocation)
    } catch {
        Issue.record("\(call) threw \(error), not a SystemError", sourceLocation: sourceLocation)
    }
}

@Suite("File system calls")
struct SystemFileTests {
    @Test("open creates close-on-exec descriptors and reports a missing file as open's ENOENT")
    func openFlagsAndErrors() throws {
        let directory = try ScratchDirectory()
        defer { directory.remove() }
        let fd = try Posix.open(directory.file("a"), flags: O_WRONLY | O_CREAT | O_EXCL, mode: 0o600)
        defer { try? Posix.close(fd) }
        #expect(try Posix.fcntl(fd, F_GETFD) & FD_CLOEXEC != 0)
        // Group and other bits depend on the umask; the owner's do not.
        #expect(try Posix.fstat(fd).mode & 0o700 == 0o600)
        expectSystemError("open", EEXIST) { _ = try Posix.open(directory.file("a"), flags: O_WRONLY | O_CREAT | O_EXCL) }
        expectSystemError("open", ENOENT) { _ = try Posix.open(directory.file("missing"), flags: O_RDONLY) }
    }

    @Test("writeAll writes everything it is given, and what it wrote reads back")
    func writeAllRoundTrip() throws {
        let directory = try ScratchDirectory()
        defer { directory.remove() }
        // Several 64 KiB chunks and a ragged tail, as IncomingFile writes them.
        let data = (0..<(3 * 65_536 + 1_234)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 9) }
        try directory.write("data", data)
        #expect(try directory.contents("data") == data)
        #expect(try Posix.stat(directory.file("data")).size == Int64(data.count))
        try directory.write("empty", [])
        #expect(try Posix.stat(directory.file("empty")).size == 0)
    }

    @Test("writeAll carries on after a partial write and reports the failure that stops it as write's")
    func writeAllPartialThenFailure() throws {
        var ends: [Int32] = [0, 0]
        #expect(pipe(&ends) == 0)
        defer {
            try? Posix.close(ends[0])
            try? Posix.close(ends[1])
        }
        // A non-blocking pipe takes part of a large write, then refuses the rest with EAGAIN.
        try Posix.setNonBlocking(ends[1], true)
        let data = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 % 251) }
        expectSystemError("write", EAGAIN) { try data.withUnsafeBytes { try Posix.writeAll(ends[1], $0) } }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        try Posix.setNonBlocking(ends[0], true)
        var received = 0
        while let count = try buffer[received...].withUnsafeMutableBytes({ try Posix.read(ends[0], $0) }), count > 0 {
            received += count
        }
        #expect(received > 0 && received < data.count)
        #expect(Array(buffer[..<received]) == Array(data[..<received]), "the accepted prefix arrived unchanged")
    }

    #if os(Linux)
    @Test("a full device fails writeAll with write's ENOSPC")
    func writeAllFullDevice() throws {
        let fd = try Posix.open("/dev/full", flags: O_WRONLY)
        defer { try? Posix.close(fd) }
        expectSystemError("write", ENOSPC) { try [UInt8](repeating: 1, count: 100).withUnsafeBytes { try Posix.writeAll(fd, $0) } }
    }
    #endif

    @Test("fsync flushes a file and reports a descriptor it cannot sync")
    func fsync() throws {
        let directory = try ScratchDirectory()
        defer { directory.remove() }
        let fd = try Posix.open(directory.file("synced"), flags: O_WRONLY | O_CREAT, mode: 0o644)
        defer { try? Posix.close(fd) }
        try [UInt8](repeating: 7, count: 1000).withUnsafeBytes { try Posix.writeAll(fd, $0) }
        try Posix.fsync(fd)
        let directoryDescriptor = try Posix.open(directory.path, flags: O_RDONLY)
        try Posix.fsync(directoryDescriptor)
        try Posix.close(directoryDescriptor)
        #if os(Linux)
        var ends: [Int32] = [0, 0]
        #expect(pipe(&ends) == 0)
        defer {
            try? Posix.close(ends[0])
            try? Posix.close(ends[1])
        }
        expectSystemError("fsync", EINVAL) { try Posix.fsync(ends[1]) }
        #endif
    }

    @Test("flock with LOCK_NB says false while another open file holds the lock")
    func flockContention() throws {
        let directory = try ScratchDirectory()
        defer { directory.remove() }
        try directory.write("locked", [1])
        let first = try Posix.open(directory.file("locked"), flags: O_RDONLY)
        let second = try Posix.open(directory.file("locked"), flags: O_RDONLY)
        defer { try? Posix.close(second) }
        #expect(try Posix.flock(first, LOCK_EX | LOCK_NB))
        #expect(try !Posix.flock(second, LOCK_EX | LOCK_NB))
        // Closing the holder drops its lock, as a receiver's death does.
        try Posix.close(first)
        #expect(try Posix.flock(second, LOCK_EX | LOCK_NB))
        expectSystemError("flock", EBADF) { _ = try Posix.flock(-1, LOCK_EX | LOCK_NB) }
    }

    @Test("stat follows a symbolic link, lstat describes the link, both read the same fields everywhere")
    func status() throws {
        let directory = try ScratchDirectory()
        defer { directory.remove() }
        try directory.write("target", [1, 2, 3, 4, 5])
        #expect(symlink(directory.file("target"), directory.file("link")) == 0)
        let target = try Posix.stat(directory.file("link"))
        #expect(target.isRegularFile && !target.isDirectory && target.size == 5)
        let link = try Posix.lstat(directory.file("link"))
        #expect(!link.isRegularFile && !link.isDirectory)
        #expect(try Posix.stat(directory.path).isDirectory)
        // Modification times are wall-clock nanoseconds, comparable with WallClock's.
        let age = Int64(WallClock.nanosecondsSinceEpoch()) - Int64(target.modificationNanoseconds)
        #expect(age >= -1_000_000_000 && age < 60_000_000_000, "modified \(age) ns ago")
        expectSystemError("stat", ENOENT) { _ = try Posix.stat(directory.file("missing")) }
        expectSystemError("lstat", ENOENT) { _ = try Posix.lstat(directory.file("missing")) }
        expectSystemError("fstat", EBADF) { _ = try Posix.fstat(-1) }
    }

    @Test("link never replaces a name, rename does, unlink removes; each failure names its call")
    func names() throws {
        let directory = try ScratchDirectory()
        defer { directory.remove() }
        try directory.write("new", [1])
        try directory.write("old", [2])
        expectSystemError("link", EEXIST) { try Posix.link(directory.file("new"), to: directory.file("old")) }
        #expect(try directory.contents("old") == [2])
        try Posix.link(directory.file("new"), to: directory.file("linked"))
        #expect(try directory.contents("linked") == [1])
        try Posix.rename(directory.file("new"), to: directory.file("old"))
        #expect(try directory.contents("old") == [1])
        expectSystemError("rename", ENOENT) { try Posix.rename(directory.file("new"), to: directory.file("old")) }
        try Posix.unlink(directory.file("linked"))
        expectSystemError("unlink", ENOENT) { try Posix.unlink(directory.file("linked")) }
        #expect(try Posix.directoryEntries(directory.path) == ["old"])
    }

    @Test("access grants what the mode allows and reports a missing path as access's ENOENT")
    func accessCheck() throws {
        let directory = try ScratchDirectory()
        defer { directory.remove() }
        try Posix.access(directory.path, W_OK | X_OK)
        expectSystemError("access", ENOENT) { try Posix.access(directory.file("missing"), R_OK) }
    }

    @Test("directory entries list every name but . and .., and a missing directory fails in opendir")
    func directoryEntries() throws {
        let directory = try ScratchDirectory()
        defer { directory.remove() }
        #expect(try Posix.directoryEntries(directory.path).isEmpty)
        for name in ["b", ".hidden", "a"] { try directory.write(name, []) }
        #expect(try Posix.directoryEntries(directory.path).sorted() == [".hidden", "a", "b"])
        expectSystemError("opendir", ENOENT) { _ = try Posix.directoryEntries(directory.file("missing")) }
    }
}
