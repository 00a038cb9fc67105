#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import RUDP
import Testing
@testable import RUDPNet
@testable import SystemKit

/// `OutgoingFile` and `IncomingFile` hash (and read ahead, or write) in slices between the
/// network loop's other work: whatever the interleaving, the bytes and the SHA-256 come out
/// as if done in one go.
@Suite struct FileChunkingTests {
    /// Sizes around the chunk size and the whole ring (8 chunks of 64 KiB).
    static let sizes = [0, 1, 16_383, 65_535, 65_536, 65_537, 8 * 65_536 - 1, 8 * 65_536 + 5, 1_300_000]

    static func content(_ size: Int) -> [UInt8] {
        var state: UInt32 = 0x9e37_79b9 ^ UInt32(size)
        return (0..<size).map { _ in
            state = state &* 1_664_525 &+ 1_013_904_223
            return UInt8(truncatingIfNeeded: state >> 24)
        }
    }

    @Test(arguments: sizes)
    func anOutgoingFileReadsEveryByteOnceAndHashesThemInOrder(size: Int) throws {
        let directory = try BaselineTestDirectory()
        defer { directory.remove() }
        let data = Self.content(size)
        try directory.write("out.bin", data)
        let file = try OutgoingFile(path: directory.file("out.bin"))
        var read: [UInt8] = []
        var step = 0
        while true {
            // Idle work of varying amounts between reads: none, some, all there is.
            step += 1
            for _ in 0..<(step % 3 == 0 ? 0 : step % 3 == 1 ? 2 : 1_000) where !file.performIdleWork() { break }
            let chunk = try file.read()
            if chunk.isEmpty { break }
            #expect(chunk.count <= OutgoingFile.chunkSize)
            read += chunk
        }
        #expect(read == data)
        #expect(file.reachedEnd && file.bytesRead == UInt64(size))
        #expect(file.digest == SHA256.hash(data))
        #expect(try file.read().isEmpty, "the end stays the end")
        #expect(!file.performIdleWork())
    }

    @Test func readIntoCopiesAcrossChunkBoundaries() throws {
        let directory = try BaselineTestDirectory()
        defer { directory.remove() }
        let data = Self.content(200_000)
        try directory.write("out.bin", data)
        let file = try OutgoingFile(path: directory.file("out.bin"))
        while file.performIdleWork() {}  // reads ahead as far as the ring allows
        var read: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 50_001)
        while true {
            let count = try buffer.withUnsafeMutableBytes { try file.read(into: $0) }
            if count == 0 { break }
            read += buffer[0..<count]
        }
        #expect(read == data)
        #expect(file.digest == SHA256.hash(data))
    }

    @Test(arguments: sizes)
    func anIncomingFileWritesAndHashesWhatever(size: Int) throws {
        let directory = try BaselineTestDirectory()
        defer { directory.remove() }
        let data = Self.content(size)
        let file = try IncomingFile(directory: directory.path, name: "in.bin", overwrite: false, uniqueToken: 0x51)
        var offset = 0
        var step = 0
        while offset < data.count {
            step += 1
            let count = min(data.count - offset, [1_200, 7, 70_000, 1][step % 4])
            try data[offset..<(offset + count)].withUnsafeBytes { try file.write($0) }
            offset += count
            for _ in 0..<(step % 5) where !file.performIdleWork() { break }
        }
        let digest = try file.commit(announcedSize: UInt64(size), expectedDigest: SHA256.hash(data))
        #expect(digest == SHA256.hash(data))
        #expect(directory.contents(of: "in.bin") == data)
        #expect(try directory.entries() == ["in.bin"], "the temporary file is gone")
    }

    /// A large file is handed to the kernel's writeback as it arrives, 8 MiB at a time, so that
    /// the fsync before the confirmation does not write all of it while the sender waits.
    @Test func aLargeIncomingFileIsWrittenBackAsItArrives() throws {
        let directory = try BaselineTestDirectory()
        defer { directory.remove() }
        let block = Self.content(1 << 20)
        let data = (0..<17).flatMap { index in block.map { $0 ^ UInt8(index) } }
        let file = try IncomingFile(directory: directory.path, name: "in.bin", overwrite: false, uniqueToken: 0x53)
        for start in stride(from: 0, to: data.count, by: 1_200) {
            try data[start..<min(start + 1_200, data.count)].withUnsafeBytes { try file.write($0) }
            _ = file.performIdleWork()
        }
        #expect(file.writebacksStarted == 2, "twice 8 MiB of the 17")
        try file.commit(announcedSize: UInt64(data.count), expectedDigest: SHA256.hash(data))
        #expect(file.writebacksStarted == 2, "the last MiB is the fsync's")
        #expect(directory.contents(of: "in.bin") == data)
    }

    @Test func anIncomingFileWithTheWrongDigestIsNotSaved() throws {
        let directory = try BaselineTestDirectory()
        defer { directory.remove() }
        let data = Self.content(100_000)
        let file = try IncomingFile(directory: directory.path, name: "in.bin", overwrite: false, uniqueToken: 0x52)
        try data.withUnsafeBytes { try file.write($0) }
        #expect(throws: FileError.self) {
            try file.commit(announcedSize: 100_000, expectedDigest: SHA256.hash(Self.content(99_999)))
        }
        file.discard()
        #expect(try directory.entries() == [])
    }
}
