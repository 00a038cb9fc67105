#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SystemKit

/// Finds and removes the hidden temporary files (`.rudp-HEX.part`) that a receiver killed
/// outright (SIGKILL, a crash, power loss) left in its output directory.
///
/// A live receiver holds an exclusive `flock` on each of its temporary files for as long as the
/// file is open, and the kernel drops that lock when the process dies; so a temporary file that
/// can be locked belongs to nobody. Files modified in the last minute are left alone whatever
/// their lock says, which covers the instant between a receiver creating a file and locking it.
public enum AbandonedTemporaryFiles {
    static let prefix = ".rudp-"
    static let suffix = ".part"
    /// Younger files are never removed (nanoseconds since their last modification).
    public static let minimumAge: UInt64 = 60_000_000_000

    /// Removes every abandoned temporary file in `directory`; returns the names removed.
    /// Errors (an unreadable directory, a file that vanished) skip the file, never throw.
    @discardableResult
    public static func remove(in directory: String, now: timespec = currentTime()) -> [String] {
        guard let stream = opendir(directory) else { return [] }
        defer { closedir(stream) }
        var removed: [String] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            guard isTemporaryName(name) else { continue }
            let path = IncomingFile.path(of: name, in: directory)
            if isAbandoned(path, now: now) && unlink(path) == 0 { removed.append(name) }
        }
        return removed.sorted()
    }

    /// Whether `name` has the shape of a receiver's temporary file.
    static func isTemporaryName(_ name: String) -> Bool {
        guard name.hasPrefix(prefix), name.hasSuffix(suffix) else { return false }
        let token = name.dropFirst(prefix.count).dropLast(suffix.count)
        return !token.isEmpty && token.allSatisfy(\.isHexDigit)
    }

    /// A regular file, unlocked, and not modified for `minimumAge`.
    private static func isAbandoned(_ path: String, now: timespec) -> Bool {
        let descriptor = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return false }
        let modified = UInt64(max(0, info.st_mtim.tv_sec)) * 1_000_000_000 + UInt64(max(0, info.st_mtim.tv_nsec))
        let current = UInt64(max(0, now.tv_sec)) * 1_000_000_000 + UInt64(max(0, now.tv_nsec))
        guard current >= modified && current - modified >= minimumAge else { return false }
        return flock(descriptor, LOCK_EX | LOCK_NB) == 0
    }

    /// The wall-clock time, as file modification times use it.
    public static func currentTime() -> timespec {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return time
    }
}
