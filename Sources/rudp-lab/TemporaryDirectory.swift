#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CLIKit
import Foundation
import SystemKit

/// A fresh private directory under `$TMPDIR` (or /tmp), removed with everything in it by
/// `remove()`. It records its creator's pid (`owner.pid`), so that one left behind by a run
/// killed outright (SIGKILL: no chance to clean up) is found and removed by a later run.
final class TemporaryDirectory {
    /// The directory's path.
    let path: String
    private var removed = false
    /// The file inside that names the process that owns the directory.
    static let ownerFile = "owner.pid"

    /// Creates `<tmp>/<prefix>.XXXXXX`, with its owner recorded.
    init(prefix: String) throws {
        let base = Self.base
        var template = Array((base + "/" + prefix + ".XXXXXX").utf8CString)
        guard let created = mkdtemp(&template) else {
            throw RuntimeFailure("cannot create a temporary directory in \(base): \(String(cString: strerror(errno)))")
        }
        path = String(cString: created)
        try? Data("\(getpid())\n".utf8).write(to: URL(fileURLWithPath: file(Self.ownerFile)))
    }

    static var base: String {
        ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
    }

    /// A path inside the directory.
    func file(_ name: String) -> String { path + "/" + name }

    /// Deletes the directory and its contents; later calls do nothing.
    func remove() {
        guard !removed else { return }
        removed = true
        try? FileManager.default.removeItem(atPath: path)
    }

    deinit { remove() }

    /// Removes the directories `<tmp>/<prefix>.XXXXXX` that are provably abandoned: ours (same
    /// user, a real directory), with an `owner.pid` naming a process that no longer exists.
    /// One without that file, or whose owner lives, is left alone. Returns the paths removed.
    @discardableResult
    static func removeAbandoned(prefix: String) -> [String] {
        let base = Self.base
        guard let names = try? Posix.directoryEntries(base) else { return [] }
        var removed: [String] = []
        for name in names where name.hasPrefix(prefix + ".") && name.utf8.count == prefix.utf8.count + 7 {
            let path = base + "/" + name
            guard let info = try? Posix.lstat(path), info.isDirectory, info.ownerID == getuid(),
                  let text = try? String(contentsOfFile: path + "/" + ownerFile, encoding: .utf8),
                  let owner = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)),
                  owner != getpid(), !Posix.processExists(owner)
            else { continue }
            if (try? FileManager.default.removeItem(atPath: path)) != nil { removed.append(path) }
        }
        return removed
    }
}
