#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import SystemKit

/// The namespaces a link created, each recorded as `created-NAME` (holding the creator's pid)
/// beside the lock files, so that what a link killed outright (SIGKILL: no teardown) left is
/// found and deleted by the next link. Only namespaces provably a dead link's own are touched:
/// a record exists (so a link created the namespace, not the user), the pid in it is no live
/// process, and the namespace's lock can be taken (no running link joins it).
enum CreatedNamespaces {
    /// One namespace left behind, as found and deleted.
    struct Leftover: Equatable {
        let namespace: String
        let ownerPid: pid_t
    }

    static func recordPath(_ namespace: String, directory: String) -> String {
        directory + "/created-\(namespace)"
    }

    /// Records that this process created `namespace` (before it creates it: a kill in between
    /// leaves a record without a namespace, which the next cleanup just removes).
    static func record(_ namespace: String, directory: String = NamespaceLock.directory) {
        let path = recordPath(namespace, directory: directory)
        try? Data("\(getpid())\n".utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    /// Forgets the record once the namespace is deleted.
    static func forget(_ namespace: String, directory: String = NamespaceLock.directory) {
        unlink(recordPath(namespace, directory: directory))
    }

    /// Deletes every namespace a dead link created and left, with its record; returns them.
    /// `delete` removes a namespace (`ip netns delete`); `exists` says whether one is there.
    static func removeAbandoned(directory: String = NamespaceLock.directory, exists: (String) -> Bool,
                                delete: (String) throws -> Void) -> [Leftover] {
        guard let names = try? Posix.directoryEntries(directory) else { return [] }
        var removed: [Leftover] = []
        for name in names.sorted() where name.hasPrefix("created-") {
            let namespace = String(name.dropFirst("created-".count))
            let path = directory + "/" + name
            guard let text = try? String(contentsOfFile: path, encoding: .utf8),
                  let owner = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)),
                  owner != getpid(), !Posix.processExists(owner),
                  let lock = try? NamespaceLock(namespace: namespace, directory: directory)
            else { continue }
            defer { lock.release() }
            if exists(namespace) {
                guard (try? delete(namespace)) != nil else { continue }
                removed.append(Leftover(namespace: namespace, ownerPid: owner))
            }
            unlink(path)
        }
        return removed
    }
}
