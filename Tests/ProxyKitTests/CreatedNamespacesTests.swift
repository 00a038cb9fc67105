#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Testing

@testable import ProxyKit

/// Which leftover namespaces a starting link deletes: only those a dead link recorded.
@Suite struct CreatedNamespacesTests {
    @Test("a record of a dead link is acted on; a live owner's, a locked namespace's and a missing namespace's are not")
    func onlyProvablyAbandonedNamespacesAreDeleted() throws {
        let directory = NSTemporaryDirectory() + "created-namespaces-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // A pid that cannot be running: above the kernel's pid_max.
        let dead: pid_t = 4_194_304 + 17
        try "\(dead)\n".write(toFile: directory + "/created-dead", atomically: true, encoding: .utf8)
        try "\(getppid())\n".write(toFile: directory + "/created-alive", atomically: true, encoding: .utf8)
        try "\(dead)\n".write(toFile: directory + "/created-locked", atomically: true, encoding: .utf8)
        try "\(dead)\n".write(toFile: directory + "/created-gone", atomically: true, encoding: .utf8)
        let held = try NamespaceLock(namespace: "locked", directory: directory)
        defer { held.release() }
        var deleted: [String] = []
        let removed = CreatedNamespaces.removeAbandoned(directory: directory, exists: { $0 != "gone" },
                                                        delete: { deleted.append($0) })
        #expect(removed == [CreatedNamespaces.Leftover(namespace: "dead", ownerPid: dead)])
        #expect(deleted == ["dead"])
        let left = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasPrefix("created-") }.sorted()
        #expect(left == ["created-alive", "created-locked"], "records acted on are removed, a vanished namespace's too")
    }
}
