#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Testing

@testable import ProxyKit

/// tshark's path, where it is installed (the captures' cross-check).
let tsharkExecutable: String? = ["/usr/bin/tshark", "/usr/sbin/tshark", "/usr/local/bin/tshark"].first { access($0, X_OK) == 0 }

/// `PcapngWriter` writes blocks a strict reader takes field by field: lengths, padding, options.
@Suite struct PcapngWriterTests {
    /// What the test writes: packets on both interfaces, of lengths that need 0–3 bytes of
    /// padding, comments likewise, one with multi-byte UTF-8, a timestamp above 2^32.
    static let packets: [(interface: UInt32, timestamp: UInt64, header: [UInt8], payload: [UInt8],
                          direction: PcapngWriter.Direction, comment: String)] = [
        (0, 1_764_700_000_123_456_789, [0x45, 0, 0], [1, 2, 3, 4, 5], .inbound, "forward #1 in: passed at once"),
        (1, 1_764_700_000_223_456_789, [], [9], .outbound, "abcd"),
        (0, 1_764_700_000_323_456_789, [], [7, 7, 7, 7, 7, 7, 7], .inbound, "reverse #1 in: dropped by loss → é"),
        (1, 5, [0x60], [1, 2], .outbound, ""),
    ]

    static func padded(_ count: Int) -> Int { (count + 3) / 4 * 4 }

    /// Writes the file and reads it back with the strict reader.
    func writeAndRead() throws -> (PcapngReader, Int) {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("pcapng-writer-\(UUID().uuidString).pcapng").path
        defer { unlink(path) }
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        try #require(descriptor >= 0)
        let writer = PcapngWriter(fileDescriptor: descriptor, application: "lossproxy-test")
        #expect(writer.addInterface(linkType: PcapngWriter.linkTypeRaw, name: "before", description: "as received") == 0)
        #expect(writer.addInterface(linkType: PcapngWriter.linkTypeRaw, name: "after", description: "as sent!") == 1)
        for packet in Self.packets {
            packet.payload.withUnsafeBytes { payload in
                writer.appendPacket(interface: packet.interface, timestamp: packet.timestamp, header: packet.header,
                                    payload: payload, direction: packet.direction, comment: packet.comment)
            }
        }
        #expect(!writer.wantsFlush, "a few packets stay below the flush threshold")
        try writer.flush()
        close(descriptor)
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        return (try PcapngReader(bytes: bytes), bytes.count)
    }

    @Test func theSectionHeaderAnnouncesByteOrderVersionAndApplication() throws {
        let (file, _) = try writeAndRead()
        #expect(file.blocks.map(\.type) == [0x0A0D_0D0A, 1, 1, 6, 6, 6, 6])
        #expect(file.section.byteOrderMagic == 0x1A2B_3C4D)
        #expect(file.section.majorVersion == 1 && file.section.minorVersion == 0)
        #expect(file.section.sectionLength == UInt64.max, "length unknown: -1")
        #expect(file.section.options == [PcapngReader.Option(code: 4, value: Array("lossproxy-test".utf8))])
        // 8 (type, length) + 16 (magic, version, section length) + shb_userappl (4 + 14 padded to 16) + end (4) + length (4).
        #expect(file.blocks[0].totalLength == 8 + 16 + 4 + 16 + 4 + 4)
    }

    @Test func twoInterfacesOfRawIPWithNamesDescriptionsAndNanosecondTimestamps() throws {
        let (file, _) = try writeAndRead()
        #expect(file.interfaces.count == 2)
        for (interface, (name, description)) in zip(file.interfaces, [("before", "as received"), ("after", "as sent!")]) {
            #expect(interface.linkType == 101 && interface.reserved == 0 && interface.snapLength == 0)
            #expect(interface.option(2)?.text == name)
            #expect(interface.option(3)?.text == description)
            #expect(interface.option(9)?.value == [9], "if_tsresol 10^-9")
            #expect(interface.options.map(\.code) == [2, 3, 9])
        }
        // 8 + 8 (link type, reserved, snap length) + if_name + if_description + if_tsresol (4 + 1 → 8) + end + length.
        #expect(file.blocks[1].totalLength == 16 + (4 + 8) + (4 + 12) + 8 + 4 + 4)
        #expect(file.blocks[2].totalLength == 16 + (4 + 8) + (4 + 8) + 8 + 4 + 4)
    }

    @Test func everyPacketKeepsItsInterfaceTimeBytesDirectionAndComment() throws {
        let (file, size) = try writeAndRead()
        #expect(file.packets.count == Self.packets.count)
        for (read, written) in zip(file.packets, Self.packets) {
            let data = written.header + written.payload
            #expect(read.interfaceID == written.interface)
            #expect(read.timestamp == written.timestamp)
            #expect(read.capturedLength == UInt32(data.count) && read.originalLength == UInt32(data.count))
            #expect(read.data == data)
            #expect(read.padding == Self.padded(data.count) - data.count)
            #expect(read.comment == written.comment)
            #expect(read.flags == written.direction.rawValue, "epb_flags: 1 inbound, 2 outbound")
            #expect(read.options.map(\.code) == [1, 2])
        }
        // 28 fixed bytes + data padded + opt_comment (4 + padded) + epb_flags (4 + 4) + end (4) + trailing length (4).
        let expected = Self.packets.map { 28 + Self.padded($0.header.count + $0.payload.count)
            + 4 + Self.padded($0.comment.utf8.count) + 8 + 4 + 4 }
        #expect(file.blocks.suffix(4).map(\.totalLength) == expected)
        #expect(file.blocks.map(\.totalLength).reduce(0, +) == size, "nothing between or after the blocks")
        #expect(file.blocks.allSatisfy { $0.offset % 4 == 0 })
    }

    @Test func aFullBufferAsksForAFlush() throws {
        let descriptor = open("/dev/null", O_WRONLY)
        defer { close(descriptor) }
        let writer = PcapngWriter(fileDescriptor: descriptor, application: "t")
        _ = writer.addInterface(linkType: PcapngWriter.linkTypeRaw, name: "x", description: "y")
        let payload = [UInt8](repeating: 0, count: 1_400)
        var appended = 0
        while !writer.wantsFlush {
            payload.withUnsafeBytes { writer.appendPacket(interface: 0, timestamp: 0, payload: $0, direction: .inbound, comment: "c") }
            appended += 1
        }
        #expect(appended == PcapngWriter.flushThreshold / (1_400 + 44) + 1, "flush is asked for once 64 KiB wait")
        try writer.flush()
        #expect(!writer.wantsFlush)
    }

    @Test(.enabled(if: tsharkExecutable != nil, "needs tshark to cross-check the file"))
    func tsharkReadsTheSameFields() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("pcapng-tshark-\(UUID().uuidString).pcapng").path
        defer { unlink(path) }
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        try #require(descriptor >= 0)
        let writer = PcapngWriter(fileDescriptor: descriptor, application: "lossproxy-test")
        _ = writer.addInterface(linkType: PcapngWriter.linkTypeRaw, name: "before", description: "in")
        _ = writer.addInterface(linkType: PcapngWriter.linkTypeRaw, name: "after", description: "out")
        for packet in Self.packets {
            packet.payload.withUnsafeBytes {
                writer.appendPacket(interface: packet.interface, timestamp: packet.timestamp, header: packet.header,
                                    payload: $0, direction: packet.direction, comment: packet.comment)
            }
        }
        try writer.flush()
        close(descriptor)
        let tshark = try RunningProgram(tsharkExecutable!, ["-r", path, "-T", "fields", "-E", "separator=|",
                                                            "-e", "frame.interface_id", "-e", "frame.len",
                                                            "-e", "frame.time_epoch", "-e", "frame.comment"])
        let result = tshark.finish(timeout: 30)
        #expect(result.status == 0, "\(result.stderr)")
        let rows = result.stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map {
            $0.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
        }
        try #require(rows.count == Self.packets.count, "\(result.stdout)")
        for (row, written) in zip(rows, Self.packets) {
            #expect(row[0] == "\(written.interface)")
            #expect(row[1] == "\(written.header.count + written.payload.count)")
            #expect(row[2].hasPrefix("\(written.timestamp / 1_000_000_000).\(String(written.timestamp % 1_000_000_000).leftPadded(9))"),
                    "\(row[2])")
            #expect(row[3] == written.comment)
        }
    }
}

extension String {
    /// Zeros before the digits up to `width`.
    fileprivate func leftPadded(_ width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
