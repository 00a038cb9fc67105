#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Testing
@testable import RUDPNet
@testable import SystemKit

/// A file that changes while it is sent is neither its old nor its new version: the sender
/// must fail rather than have the receiver confirm a mix, or a short file.
@Suite struct OutgoingFileChangeTests {
    /// Reads `file` to its end, calling `change` after the first chunk; the error message, if any.
    func readAll(_ file: OutgoingFile, changingAfterFirstChunk change: () -> Void) -> String? {
        do {
            var chunks = 0
            while try !file.read().isEmpty {
                chunks += 1
                if chunks == 1 { change() }
            }
            return nil
        } catch {
            return error.message
        }
    }

    @Test("a file truncated after its first chunk fails the read, naming what changed")
    func truncatedFileFails() throws {
        let directory = try BaselineTestDirectory()
        defer { directory.remove() }
        try directory.write("f.bin", [UInt8](repeating: 1, count: 1_000_000))
        let file = try OutgoingFile(path: directory.file("f.bin"))
        let message = try #require(readAll(file) { _ = truncate(directory.file("f.bin"), 1_000) })
        #expect(message.contains("changed while it was sent"), "\(message)")
        #expect(message.contains("of the 1000000 bytes"), "\(message)")
    }

    @Test("a file that grows while it is read fails the read")
    func grownFileFails() throws {
        let directory = try BaselineTestDirectory()
        defer { directory.remove() }
        try directory.write("f.bin", [UInt8](repeating: 1, count: 100_000))
        let file = try OutgoingFile(path: directory.file("f.bin"))
        let message = try #require(readAll(file) {
            let handle = FileHandle(forWritingAtPath: directory.file("f.bin"))!
            handle.seekToEndOfFile()
            handle.write(Data(repeating: 2, count: 50_000))
            handle.closeFile()
        })
        #expect(message.contains("grew beyond the 100000 bytes"), "\(message)")
    }

    @Test("a file rewritten in place at the same size fails at its end (its modification time moved)")
    func rewrittenFileFails() throws {
        let directory = try BaselineTestDirectory()
        defer { directory.remove() }
        try directory.write("f.bin", [UInt8](repeating: 1, count: 200_000))
        // An old modification time, so that the rewrite surely gives another.
        var times = [timespec(tv_sec: 1_000_000, tv_nsec: 0), timespec(tv_sec: 1_000_000, tv_nsec: 0)]
        try #require(utimensat(AT_FDCWD, directory.file("f.bin"), &times, 0) == 0)
        let file = try OutgoingFile(path: directory.file("f.bin"))
        let message = try #require(readAll(file) {
            let handle = FileHandle(forWritingAtPath: directory.file("f.bin"))!
            handle.write(Data(repeating: 3, count: 10))
            handle.closeFile()
        })
        #expect(message.contains("modified while it was read"), "\(message)")
    }

    @Test("an unchanged file reads to its end without complaint")
    func unchangedFileReads() throws {
        let directory = try BaselineTestDirectory()
        defer { directory.remove() }
        try directory.write("f.bin", [UInt8](repeating: 1, count: 300_000))
        let file = try OutgoingFile(path: directory.file("f.bin"))
        #expect(readAll(file) {} == nil)
        #expect(file.bytesRead == 300_000)
    }
}
