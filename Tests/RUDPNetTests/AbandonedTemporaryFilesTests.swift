#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Testing
@testable import RUDPNet
@testable import SystemKit

/// A receiver killed outright leaves its temporary files; the next one removes exactly those.
@Suite struct AbandonedTemporaryFilesTests {
    /// Sets a file's modification time `seconds` into the past.
    func age(_ path: String, by seconds: Int) {
        var times = [timespec](repeating: timespec(), count: 2)
        clock_gettime(CLOCK_REALTIME, &times[0])
        times[0].tv_sec -= seconds
        times[1] = times[0]
        #expect(utimensat(AT_FDCWD, path, times, 0) == 0)
    }

    @Test func onlyOldUnlockedTemporaryFilesAreRemoved() throws {
        let directory = try BaselineTestDirectory()
        defer { directory.remove() }
        // Left by a dead receiver: old and unlocked.
        try directory.write(".rudp-1f2e.part", [1, 2, 3])
        age(directory.file(".rudp-1f2e.part"), by: 3_600)
        // Unlocked but just written: perhaps a receiver between creating and locking it.
        try directory.write(".rudp-abc.part", [4])
        // Not ours, however old.
        for name in ["notes.part", ".rudp-xyz.part", ".rudp-.part", "kept.bin"] {
            try directory.write(name, [5])
            age(directory.file(name), by: 3_600)
        }
        // A live transfer's file, old but locked by its open IncomingFile.
        let live = try IncomingFile(directory: directory.path, name: "live.bin", overwrite: false, uniqueToken: 0xbeef)
        try [UInt8](repeating: 9, count: 10).withUnsafeBytes { try live.write($0) }
        age(live.temporaryPath.text!, by: 3_600)

        let removed = AbandonedTemporaryFiles.remove(in: directory.path)
        #expect(removed == [".rudp-1f2e.part"])
        #expect(try directory.entries() == [".rudp-.part", ".rudp-abc.part", ".rudp-beef.part", ".rudp-xyz.part", "kept.bin", "notes.part"])

        // Once the live transfer ends its file is gone by its own hand; nothing else changes.
        live.discard()
        // A discarded file takes no more bytes (its descriptor number may be another file's now).
        #expect(throws: FileError.self) { try [UInt8](repeating: 1, count: 4).withUnsafeBytes { try live.write($0) } }
        #expect(AbandonedTemporaryFiles.remove(in: directory.path).isEmpty)
        #expect(!(try directory.entries()).contains(".rudp-beef.part"))
    }

    @Test func aMissingDirectoryRemovesNothing() {
        #expect(AbandonedTemporaryFiles.remove(in: "/nonexistent/rudp-\(getpid())").isEmpty)
    }
}
