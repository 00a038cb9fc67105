#if canImport(Glibc)
import Glibc
#endif
import Foundation
import RUDP
import Testing

/// `tools/wireshark/rudp.lua` on packets our own encoder wrote (so the Lua CRC32C is checked
/// against the Swift one), each payload type with known values: every field reads back.
/// No root, no network: a hand-made pcap file.
@Suite(.enabled(if: tsharkPath != nil, "needs tshark (apt-get install tshark)"))
struct DissectorFieldTests {
    static let isn: UInt32 = 4_294_967_290  // six below the wrap, as the protocol tests do
    static let connection: UInt32 = 0xC0FF_EE01

    static func packet(_ type: PacketType, flags: UInt8 = 0, sequence: UInt32 = 0, ack: UInt32 = 0, window: UInt32 = 0,
                       sacks: [SackBlock] = [], payload: [UInt8] = []) throws -> [UInt8] {
        try PacketEncoder.encode(PacketHeader(type: type, flags: flags, connectionID: connection, sequence: SequenceNumber(sequence),
                                              acknowledgement: SequenceNumber(ack), window: window, timestamp: 1_000, timestampEcho: 999),
                                 sacks: sacks, payload: payload)
    }

    /// A SYN with a retry budget, its SYN-ACK, a datagram of three DATA packets back to back (the
    /// last redundant and shorter, as the last segment of a GSO send), an ACK with SACK blocks,
    /// FIN, RST, the ACK again with one bit flipped, and a datagram that is not RUDP.
    static func datagrams() throws -> [HandmadeCapture.Datagram] {
        var syn = SynPayload(mode: .selectiveRepeat, mss: 1_000, window: 64, fileSize: nil, name: Array("notes.txt".utf8))
        syn.retryBudget = RetryBudget(retries: 7, largestTimeout: 2_000_000_000)
        syn.sendsRedundantData = true
        let first = isn &+ 1
        var redundant = [UInt8](repeating: 0, count: RedundantPayload.headerSize(copies: 2) + 30 + 20 + 10)
        let (copyA, copyB, own) = ([UInt8](repeating: 0xA, count: 30), [UInt8](repeating: 0xB, count: 20), [UInt8](repeating: 0xC, count: 10))
        copyA.withUnsafeBytes { a in
            copyB.withUnsafeBytes { b in
                own.withUnsafeBytes { o in
                    redundant.withUnsafeMutableBytes { RedundantPayload.write(copies: [(2, a), (1, b)], primary: o, into: $0) }
                }
            }
        }
        let gso = try packet(.data, sequence: first, payload: Array(repeating: 1, count: 1_000))
            + packet(.data, sequence: first &+ 1, payload: Array(repeating: 2, count: 1_000))
            + packet(.data, flags: 0x03, sequence: first &+ 2, payload: redundant)
        let sacks = [(first &+ 4, first &+ 6), (first &+ 8, first &+ 9), (first &+ 11, first &+ 15)].map {
            SackBlock(start: SequenceNumber($0.0), end: SequenceNumber($0.1))
        }
        let ack = try packet(.ack, sequence: 77, ack: first &+ 3, window: 61, sacks: sacks)
        var corrupted = ack
        corrupted[40] ^= 0x10
        let digest = try #require(SHA256Digest(bytes: (0..<32).map { UInt8($0) }))
        return [
            .init(try packet(.syn, sequence: isn, payload: syn.encoded())),
            .init(try packet(.synAck, sequence: 77, ack: first, window: 64, payload: SynAckPayload(mss: 1_000, window: 32).encoded()), reply: true),
            .init(gso),
            .init(ack, reply: true),
            .init(try packet(.fin, sequence: first &+ 20, payload: FinPayload(fileSize: 20_000, sha256: digest,
                                                                              retransmitTimeoutMicros: 250_000).encoded())),
            .init(try packet(.reset, sequence: 77, payload: ResetPayload(code: .protocolViolation, message: "unknown SYN flags 2").encoded()),
                  reply: true),
            .init(corrupted, reply: true),
            .init(Array("not RUDP, just a line of text that is long enough".utf8), sourcePort: 5_353, destinationPort: 5_353),
        ]
    }

    @Test func everyPayloadFieldReadsBackAsEncoded() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("rudp-dissector-\(UUID().uuidString).pcap")
        defer { try? FileManager.default.removeItem(at: file) }
        try HandmadeCapture.write(try Self.datagrams(), into: file)
        let fields = ["rudp.type", "rudp.flags", "rudp.seq", "rudp.conn_id", "rudp.crc.status", "rudp.datagram.packets",
                      "rudp.syn.mode", "rudp.syn.flags", "rudp.syn.mss", "rudp.syn.window", "rudp.syn.file_size",
                      "rudp.syn.name", "rudp.syn.retries", "rudp.syn.largest_timeout", "rudp.synack.mss", "rudp.synack.window",
                      "rudp.redundant.count", "rudp.redundant.distance", "rudp.redundant.length", "rudp.redundant.seq",
                      "rudp.sack.start", "rudp.sack.end", "rudp.fin.file_size", "rudp.fin.sha256", "rudp.fin.rto",
                      "rudp.rst.code", "rudp.rst.message", "rudp.index", "rudp.ack_index", "_ws.col.Info"]
        let lines = try Dissector.tshark(["-r", file.path, "-T", "fields", "-E", "separator=/t"] + fields.flatMap { ["-e", $0] })
        let frames = lines.map { line in
            Dictionary(uniqueKeysWithValues: zip(fields, line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)))
        }
        try #require(frames.count == 8, "\(lines)")
        let (syn, synAck, gso, ack, fin, reset, corrupted, foreign) =
            (frames[0], frames[1], frames[2], frames[3], frames[4], frames[5], frames[6], frames[7])
        let first = Self.isn &+ 1

        #expect(syn["rudp.syn.mode"] == "3" && syn["rudp.syn.flags"] == "0x06" && syn["rudp.syn.mss"] == "1000")
        #expect(syn["rudp.syn.window"] == "64" && syn["rudp.syn.file_size"] == "18446744073709551615")
        #expect(syn["rudp.syn.name"] == "notes.txt" && syn["rudp.syn.retries"] == "7" && syn["rudp.syn.largest_timeout"] == "2000000")
        #expect(syn["rudp.conn_id"] == "0xc0ffee01" && syn["rudp.seq"] == "\(Self.isn)")
        #expect(syn["_ws.col.Info"] == "SYN sr mss=1000 win=64 name=notes.txt")
        #expect(synAck["rudp.synack.mss"] == "1000" && synAck["rudp.synack.window"] == "32")
        #expect(synAck["_ws.col.Info"] == "SYN-ACK mss=1000 win=32")

        #expect(gso["rudp.datagram.packets"] == "3,3,3" && gso["rudp.type"] == "3,3,3" && gso["rudp.crc.status"] == "1,1,1")
        #expect(gso["rudp.seq"] == "\(first),\(first &+ 1),\(first &+ 2)" && gso["rudp.flags"] == "0x00,0x00,0x03")
        #expect(gso["rudp.redundant.count"] == "2" && gso["rudp.redundant.distance"] == "2,1" && gso["rudp.redundant.length"] == "30,20")
        #expect(gso["rudp.redundant.seq"] == "\(first),\(first &+ 1)")
        #expect(gso["rudp.index"] == "0,1,2" && ack["rudp.ack_index"] == "3" && fin["rudp.index"] == "20",
                "indices from the SYN's ISN across the wrap")
        #expect(gso["_ws.col.Info"] == "3 packets: DATA seq=\(first) len=1000 | DATA seq=\(first &+ 1) len=1000 | "
                    + "DATA seq=\(first &+ 2) len=\(1 + 8 + 60) ACK-NOW copies=2")

        #expect(ack["rudp.sack.start"] == "\(first &+ 4),\(first &+ 8),\(first &+ 11)")
        #expect(ack["rudp.sack.end"] == "\(first &+ 6),\(first &+ 9),\(first &+ 15)")
        #expect(ack["_ws.col.Info"] == "ACK ack=\(first &+ 3) win=61 SACK 3")
        #expect(fin["rudp.fin.file_size"] == "20000" && fin["rudp.fin.rto"] == "250000")
        #expect(fin["rudp.fin.sha256"]?.filter(\.isHexDigit) == (0..<32).map { String(format: "%02x", $0) }.joined())
        #expect(fin["_ws.col.Info"] == "FIN seq=\(first &+ 20) size=20000")
        #expect(reset["rudp.rst.code"] == "8" && reset["rudp.rst.message"] == "unknown SYN flags 2")
        #expect(reset["_ws.col.Info"] == "RST code=8 (protocol violation): unknown SYN flags 2")

        #expect(corrupted["rudp.crc.status"] == "0" && corrupted["_ws.col.Info"]?.hasSuffix("[BAD CRC]") == true,
                "a flipped bit in a SACK block: \(corrupted)")
        #expect(foreign["rudp.type"] == "" && foreign["_ws.col.Info"]?.contains("RUDP") == false, "the heuristic left it alone")
    }
}
