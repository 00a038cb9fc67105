#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// One running link's claim on a namespace name: an exclusive `flock` on
/// `/run/lossproxy/link-NAME.lock` holding the owner's pid. A second `lossproxy link` naming
/// the same namespace (as A or B) finds it locked and refuses, naming the pid. The kernel drops
/// the lock when the owner exits, however it exits, so a killed link never blocks the next one.
final class NamespaceLock {
    /// The namespace claimed.
    let namespace: String
    private let path: String
    private var fileDescriptor: Int32

    /// Where lock files live: `/run/lossproxy`, or the temporary directory where /run is not
    /// writable (in a user namespace without its own /run).
    static var directory: String {
        access("/run", W_OK) == 0 ? "/run/lossproxy" : NSTemporaryDirectory() + "lossproxy"
    }

    /// Claims `namespace`; throws `LinkError` naming the holder if another link has it.
    init(namespace: String, directory: String = NamespaceLock.directory) throws(LinkError) {
        self.namespace = namespace
        path = directory + "/link-\(namespace).lock"
        if mkdir(directory, 0o755) != 0 && errno != EEXIST {
            throw LinkError("cannot create \(directory) for the link's lock files: \(String(cString: strerror(errno)))")
        }
        while true {
            let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
            guard fd >= 0 else {
                throw LinkError("cannot open the lock file \(path): \(String(cString: strerror(errno)))")
            }
            if flock(fd, LOCK_EX | LOCK_NB) != 0 {
                let code = errno
                let holder = Self.readPid(fd)
                close(fd)
                guard code == EWOULDBLOCK else {
                    throw LinkError("cannot lock \(path): \(String(cString: strerror(code)))")
                }
                throw LinkError(
                    "namespace '\(namespace)' is already joined by a running lossproxy link"
                        + (holder.map { " (pid \($0))" } ?? "") + "; stop it first or choose other names")
            }
            // The previous holder may have unlinked the file between our open and our lock:
            // then we hold a lock on a file nobody else will find. Start again on the new one.
            var opened = stat()
            var current = stat()
            guard fstat(fd, &opened) == 0, stat(path, &current) == 0,
                  opened.st_ino == current.st_ino, opened.st_dev == current.st_dev
            else {
                close(fd)
                continue
            }
            let pid = "\(getpid())\n"
            _ = ftruncate(fd, 0)
            _ = pid.withCString { pwrite(fd, $0, strlen($0), 0) }
            fileDescriptor = fd
            return
        }
    }

    /// Removes the lock file and releases the lock (unlink first, so that nobody can lock the
    /// file in between and believe they own the name while we still do).
    func release() {
        guard fileDescriptor >= 0 else { return }
        unlink(path)
        close(fileDescriptor)
        fileDescriptor = -1
    }

    deinit { release() }

    private static func readPid(_ fd: Int32) -> Int? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return nil }
        return Int(String(decoding: buffer[0..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
