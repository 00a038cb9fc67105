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
    /// `now` is wall-clock nanoseconds since the epoch, as file modification times count.
    /// Errors (an unreadable directory, a file that vanished) skip the file, never throw.
    @discardableResult
    public static func remove(in directory: String, now: UInt64 = WallClock.nanosecondsSinceEpoch()) -> [String] {
        remove(in: FilePath(directory), now: now)
    }

    /// Removes every abandoned temporary file in a directory given as bytes.
    @discardableResult
    public static func remove(in directory: FilePath, now: UInt64 = WallClock.nanosecondsSinceEpoch()) -> [String] {
        guard let names = try? Posix.directoryEntries(directory) else { return [] }
        var removed: [String] = []
        for name in names where isTemporaryName(name) {
            let path = directory.appending(name)
            if isAbandoned(path, now: now) && (try? Posix.unlink(path)) != nil { removed.append(name) }
        }
        return removed.sorted()
    }

    /// Whether `name` is of the form reserved for temporary files (`.rudp-*.part`, whatever
    /// lies between): no received file may be saved under such a name.
    static func isInTemporaryNamespace(_ name: String) -> Bool {
        name.utf8.count >= prefix.utf8.count + suffix.utf8.count && name.hasPrefix(prefix) && name.hasSuffix(suffix)
    }

    /// Whether `name` has the shape of a receiver's temporary file.
    static func isTemporaryName(_ name: String) -> Bool {
        guard name.hasPrefix(prefix), name.hasSuffix(suffix) else { return false }
        let token = name.dropFirst(prefix.count).dropLast(suffix.count)
        return !token.isEmpty && token.allSatisfy(\.isHexDigit)
    }

    /// A regular file, unlocked, and not modified for `minimumAge`.
    private static func isAbandoned(_ path: FilePath, now: UInt64) -> Bool {
        guard let descriptor = try? Posix.open(path, flags: O_RDONLY | O_NOFOLLOW | O_NONBLOCK) else { return false }
        defer { try? Posix.close(descriptor) }
        guard let info = try? Posix.fstat(descriptor), info.isRegularFile else { return false }
        let modified = info.modificationNanoseconds
        guard now >= modified && now - modified >= minimumAge else { return false }
        return (try? Posix.flock(descriptor, LOCK_EX | LOCK_NB)) == true
    }
}
