import Foundation

/// A test-side pcapng reader, strict where the writer must be: every block's two length fields
/// agree and are a multiple of 4, every option and packet is padded to 32 bits with zeros, and
/// every option list ends with opt_endofopt. Reads the byte order the section header announces.
struct PcapngReader {
    /// A malformed file, with where and why.
    struct Malformed: Error, CustomStringConvertible {
        let description: String
    }

    /// One option: its code and value (without padding).
    struct Option: Equatable {
        let code: UInt16
        let value: [UInt8]
        var text: String { String(decoding: value, as: UTF8.self) }
    }

    /// One block as laid out: type, total length (both copies checked equal), body.
    struct Block {
        let offset: Int
        let type: UInt32
        let totalLength: Int
        let body: [UInt8]
    }

    /// The section header block's fields.
    struct Section {
        let byteOrderMagic: UInt32
        let majorVersion: UInt16
        let minorVersion: UInt16
        let sectionLength: UInt64
        let options: [Option]
    }

    /// An interface description block's fields.
    struct Interface {
        let linkType: UInt16
        let reserved: UInt16
        let snapLength: UInt32
        let options: [Option]
        func option(_ code: UInt16) -> Option? { options.first { $0.code == code } }
    }

    /// An enhanced packet block's fields.
    struct Packet {
        let interfaceID: UInt32
        /// In the interface's units (nanoseconds here): high and low words joined.
        let timestamp: UInt64
        let capturedLength: UInt32
        let originalLength: UInt32
        let data: [UInt8]
        /// The zero bytes after `data` up to a 32-bit boundary.
        let padding: Int
        let options: [Option]
        /// epb_flags (in the section's byte order), nil when absent.
        let flags: UInt32?
        var comment: String? { options.first { $0.code == 1 }?.text }
    }

    let blocks: [Block]
    let section: Section
    let interfaces: [Interface]
    let packets: [Packet]

    init(contentsOf url: URL) throws { try self.init(bytes: [UInt8](try Data(contentsOf: url))) }

    init(bytes: [UInt8]) throws {
        guard bytes.count >= 28, Self.word(bytes, 0, littleEndian: true) == 0x0A0D_0D0A else {
            throw Malformed(description: "no section header block at the start")
        }
        // The byte-order magic decides how every later number is read.
        let magic = Self.word(bytes, 8, littleEndian: true)
        guard magic == 0x1A2B_3C4D || magic == 0x4D3C_2B1A else { throw Malformed(description: "byte-order magic \(magic)") }
        let little = magic == 0x1A2B_3C4D
        var blocks: [Block] = []
        var offset = 0
        while offset < bytes.count {
            guard bytes.count - offset >= 12 else { throw Malformed(description: "a truncated block at \(offset)") }
            let type = Self.word(bytes, offset, littleEndian: little)
            let total = Int(Self.word(bytes, offset + 4, littleEndian: little))
            guard total >= 12, total % 4 == 0, offset + total <= bytes.count else {
                throw Malformed(description: "block at \(offset): total length \(total)")
            }
            let trailing = Int(Self.word(bytes, offset + total - 4, littleEndian: little))
            guard trailing == total else {
                throw Malformed(description: "block at \(offset): lengths \(total) and \(trailing) differ")
            }
            blocks.append(Block(offset: offset, type: type, totalLength: total,
                                body: Array(bytes[(offset + 8)..<(offset + total - 4)])))
            offset += total
        }
        self.blocks = blocks

        var section: Section?
        var interfaces: [Interface] = []
        var packets: [Packet] = []
        for block in blocks {
            let body = block.body
            func word(_ at: Int) -> UInt32 { Self.word(body, at, littleEndian: little) }
            func half(_ at: Int) -> UInt16 { Self.half(body, at, littleEndian: little) }
            switch block.type {
            case 0x0A0D_0D0A:
                guard section == nil else { throw Malformed(description: "a second section header") }
                let (low, high) = little ? (word(8), word(12)) : (word(12), word(8))
                section = Section(byteOrderMagic: word(0), majorVersion: half(4), minorVersion: half(6),
                                  sectionLength: UInt64(high) << 32 | UInt64(low),
                                  options: try Self.options(body, from: 16, littleEndian: little))
            case 1:
                interfaces.append(Interface(linkType: half(0), reserved: half(2), snapLength: word(4),
                                            options: try Self.options(body, from: 8, littleEndian: little)))
            case 6:
                let captured = Int(word(12))
                let padded = (captured + 3) / 4 * 4
                guard 20 + padded <= body.count else { throw Malformed(description: "packet at \(block.offset) overruns its block") }
                let padding = Array(body[(20 + captured)..<(20 + padded)])
                guard padding.allSatisfy({ $0 == 0 }) else { throw Malformed(description: "packet padding not zero") }
                let options = try Self.options(body, from: 20 + padded, littleEndian: little)
                let flags = options.first { $0.code == 2 && $0.value.count == 4 }.map { Self.word($0.value, 0, littleEndian: little) }
                packets.append(Packet(interfaceID: word(0), timestamp: UInt64(word(4)) << 32 | UInt64(word(8)),
                                      capturedLength: word(12), originalLength: word(16),
                                      data: Array(body[20..<(20 + captured)]), padding: padded - captured,
                                      options: options, flags: flags))
            default:
                throw Malformed(description: "unexpected block type \(block.type) at \(block.offset)")
            }
        }
        guard let section else { throw Malformed(description: "no section header") }
        self.section = section
        self.interfaces = interfaces
        self.packets = packets
    }

    /// The option list from `start` to the end of `body`, which must end with opt_endofopt.
    private static func options(_ body: [UInt8], from start: Int, littleEndian: Bool) throws -> [Option] {
        var options: [Option] = []
        var offset = start
        while true {
            guard offset + 4 <= body.count else { throw Malformed(description: "options end without opt_endofopt") }
            let code = half(body, offset, littleEndian: littleEndian)
            let length = Int(half(body, offset + 2, littleEndian: littleEndian))
            if code == 0 {
                guard length == 0, offset + 4 == body.count else {
                    throw Malformed(description: "opt_endofopt of length \(length) with \(body.count - offset - 4) bytes after")
                }
                return options
            }
            let padded = (length + 3) / 4 * 4
            guard offset + 4 + padded <= body.count else { throw Malformed(description: "option \(code) overruns its block") }
            guard body[(offset + 4 + length)..<(offset + 4 + padded)].allSatisfy({ $0 == 0 }) else {
                throw Malformed(description: "option \(code): padding not zero")
            }
            options.append(Option(code: code, value: Array(body[(offset + 4)..<(offset + 4 + length)])))
            offset += 4 + padded
        }
    }

    static func word(_ bytes: [UInt8], _ at: Int, littleEndian: Bool) -> UInt32 {
        let value = (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[at + $1]) << (8 * $1) }
        return littleEndian ? value : value.byteSwapped
    }

    static func half(_ bytes: [UInt8], _ at: Int, littleEndian: Bool) -> UInt16 {
        let value = UInt16(bytes[at]) | UInt16(bytes[at + 1]) << 8
        return littleEndian ? value : value.byteSwapped
    }
}
