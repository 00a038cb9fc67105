#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CLIKit
import Foundation

/// A fresh private directory under `$TMPDIR` (or /tmp), removed with everything in it by
/// `remove()`.
final class TemporaryDirectory {
    /// The directory's path.
    let path: String
    private var removed = false

    /// Creates `<tmp>/<prefix>.XXXXXX`.
    init(prefix: String) throws {
        let base = ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        var template = Array((base + "/" + prefix + ".XXXXXX").utf8CString)
        guard let created = mkdtemp(&template) else {
            throw RuntimeFailure("cannot create a temporary directory in \(base): \(String(cString: strerror(errno)))")
        }
        path = String(cString: created)
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
}
