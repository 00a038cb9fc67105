import RUDP
import Testing

// Packets written out by hand, byte by byte, from docs/PROTOCOL.md §2 (header, SACK blocks,
// CRC32C trailer) and §3 (payloads), so that an encoder and a decoder sharing a bug cannot both
// pass: each vector is decoded and checked field by field, and the encoder must reproduce it.
//
// The CRC32C trailers were computed apart from the code under test, by this Python (a table-
// driven, reflected CRC-32C, checked against the standard check value of "123456789"):
//
//     TABLE = []
//     for n in range(256):
//         c = n
//         for _ in range(8): c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1   # 0x1EDC6F41 reflected
//         TABLE.append(c)
//     def crc32c(data):
//         c = 0xFFFFFFFF
//         for b in data: c = TABLE[(c ^ b) & 0xFF] ^ (c >> 8)
//         return c ^ 0xFFFFFFFF
//     assert crc32c(b"123456789") == 0xE3069283
//
// over the bytes before the trailer, each packet assembled with struct.pack(">BBBBIIIIIIHH", …);
// the FIN's digest is hashlib.sha256(b"hello").

/// One packet as bytes on the wire, and the fields it carries.
struct WireVector: Sendable {
    let bytes: [UInt8]
    let header: PacketHeader
    let sacks: [SackBlock]
    let payload: [UInt8]
}

extension WireVector {
    static let connection: UInt32 = 0x0A0B_0C0D
    /// The sender's initial sequence number, just below the wrap.
    static let isn: UInt32 = 0xFFFF_FFF0

    /// SYN: Selective Repeat, unordered delivery, MSS 1200, window 64, a 1,000,000-byte "hi.txt".
    static let syn = WireVector(
        bytes: [
            0x01, 0x01, 0x00, 0x00,  // version 1, type 1 SYN, flags 0, SACK count 0
            0x0A, 0x0B, 0x0C, 0x0D,  // connection ID
            0xFF, 0xFF, 0xFF, 0xF0,  // sequence: the ISN
            0x00, 0x00, 0x00, 0x00,  // acknowledgement: 0 in sender packets
            0x00, 0x00, 0x00, 0x00,  // receive window: 0 in sender packets
            0x00, 0x01, 0x23, 0x45,  // timestamp
            0x00, 0x00, 0x00, 0x00,  // timestamp echo: none yet
            0x00, 0x18, 0x00, 0x00,  // payload length 24, reserved
            0x03,                    // payload: mode 3 Selective Repeat
            0x01,                    //   flags: bit 0, unordered delivery
            0x04, 0xB0,              //   MSS 1200
            0x00, 0x00, 0x00, 0x40,  //   window 64
            0x00, 0x00, 0x00, 0x00, 0x00, 0x0F, 0x42, 0x40,  // file size 1,000,000
            0x00, 0x06,              //   name length 6
            0x68, 0x69, 0x2E, 0x74, 0x78, 0x74,  // "hi.txt"
            0x8E, 0x53, 0x19, 0x14,  // CRC32C
        ],
        header: PacketHeader(type: .syn, connectionID: connection, sequence: SequenceNumber(isn), timestamp: 0x0001_2345),
        sacks: [],
        payload: {
            var payload = SynPayload(mode: .selectiveRepeat, mss: 1200, window: 64, fileSize: 1_000_000,
                                     name: Array("hi.txt".utf8))
            payload.delivery = .unordered
            return payload.encoded()
        }())

    /// DATA: the third packet (index 2), a retransmission with ACK-NOW, carrying "hello".
    static let data = WireVector(
        bytes: [
            0x01, 0x03, 0x01, 0x00,  // version 1, type 3 DATA, flags 0x01 ACK-NOW, SACK count 0
            0x0A, 0x0B, 0x0C, 0x0D,  // connection ID
            0xFF, 0xFF, 0xFF, 0xF3,  // sequence: ISN + 1 + index 2
            0x00, 0x00, 0x00, 0x00,  // acknowledgement
            0x00, 0x00, 0x00, 0x00,  // receive window
            0x00, 0x01, 0x24, 0x00,  // timestamp
            0x00, 0xAB, 0xCD, 0xEF,  // timestamp echo: the receiver's last timestamp
            0x00, 0x05, 0x00, 0x00,  // payload length 5, reserved
            0x68, 0x65, 0x6C, 0x6C, 0x6F,  // "hello"
            0x2E, 0x96, 0x0E, 0xC0,  // CRC32C
        ],
        header: PacketHeader(type: .data, flags: 0x01, connectionID: connection, sequence: SequenceNumber(isn &+ 3),
                             timestamp: 0x0001_2400, timestampEcho: 0x00AB_CDEF),
        sacks: [],
        payload: Array("hello".utf8))

    /// ACK: everything before ISN + 2 arrived, and two runs above the gap, the second across the wrap.
    static let ack = WireVector(
        bytes: [
            0x01, 0x04, 0x00, 0x02,  // version 1, type 4 ACK, flags 0, SACK count 2
            0x0A, 0x0B, 0x0C, 0x0D,  // connection ID
            0x11, 0x22, 0x33, 0x44,  // sequence: the receiver's own number
            0xFF, 0xFF, 0xFF, 0xF2,  // acknowledgement: next expected, ISN + 2
            0x00, 0x00, 0x00, 0x3C,  // receive window 60
            0x00, 0xAB, 0xCE, 0x00,  // timestamp
            0x00, 0x01, 0x24, 0x00,  // timestamp echo: the DATA's timestamp
            0x00, 0x00, 0x00, 0x00,  // payload length 0, reserved
            0xFF, 0xFF, 0xFF, 0xF4, 0xFF, 0xFF, 0xFF, 0xF6,  // SACK [ISN + 4, ISN + 6)
            0xFF, 0xFF, 0xFF, 0xF8, 0x00, 0x00, 0x00, 0x02,  // SACK [ISN + 8, ISN + 18): crosses 2^32
            0xC6, 0x73, 0xCF, 0xE6,  // CRC32C
        ],
        header: PacketHeader(type: .ack, connectionID: connection, sequence: SequenceNumber(0x1122_3344),
                             acknowledgement: SequenceNumber(0xFFFF_FFF2), window: 60,
                             timestamp: 0x00AB_CE00, timestampEcho: 0x0001_2400),
        sacks: [SackBlock(start: SequenceNumber(0xFFFF_FFF4), end: SequenceNumber(0xFFFF_FFF6)),
                SackBlock(start: SequenceNumber(0xFFFF_FFF8), end: SequenceNumber(0x0000_0002))],
        payload: [])

    /// SHA-256 of "hello".
    static let helloDigest: [UInt8] = [
        0x2C, 0xF2, 0x4D, 0xBA, 0x5F, 0xB0, 0xA3, 0x0E, 0x26, 0xE8, 0x3B, 0x2A, 0xC5, 0xB9, 0xE2, 0x9E,
        0x1B, 0x16, 0x1E, 0x5C, 0x1F, 0xA7, 0x42, 0x5E, 0x73, 0x04, 0x33, 0x62, 0x93, 0x8B, 0x98, 0x24,
    ]

    /// FIN after 17 DATA packets (its sequence wraps to 2): a 5-byte file, its digest, RTO 200 ms.
    static let fin = WireVector(
        bytes: [
            0x01, 0x05, 0x00, 0x00,  // version 1, type 5 FIN, flags 0, SACK count 0
            0x0A, 0x0B, 0x0C, 0x0D,  // connection ID
            0x00, 0x00, 0x00, 0x02,  // sequence: ISN + 1 + 17, mod 2^32
            0x00, 0x00, 0x00, 0x00,  // acknowledgement
            0x00, 0x00, 0x00, 0x00,  // receive window
            0x00, 0x01, 0x25, 0x00,  // timestamp
            0x00, 0xAB, 0xCE, 0x00,  // timestamp echo
            0x00, 0x2C, 0x00, 0x00,  // payload length 44, reserved
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05,  // payload: file size 5
        ] + helloDigest + [           //   SHA-256
            0x00, 0x03, 0x0D, 0x40,  //   retransmission timeout 200,000 µs
            0x5A, 0x5A, 0x0A, 0x38,  // CRC32C
        ],
        header: PacketHeader(type: .fin, connectionID: connection, sequence: SequenceNumber(isn &+ 18),
                             timestamp: 0x0001_2500, timestampEcho: 0x00AB_CE00),
        sacks: [],
        payload: FinPayload(fileSize: 5, sha256: SHA256Digest(bytes: helloDigest)!, retransmitTimeoutMicros: 200_000)
            .encoded())

    /// RST from the receiver: code 2, file exists.
    static let rst = WireVector(
        bytes: [
            0x01, 0x07, 0x00, 0x00,  // version 1, type 7 RST, flags 0, SACK count 0
            0x0A, 0x0B, 0x0C, 0x0D,  // connection ID
            0x11, 0x22, 0x33, 0x44,  // sequence: the receiver's own number
            0xFF, 0xFF, 0xFF, 0xF1,  // acknowledgement: ISN + 1
            0x00, 0x00, 0x00, 0x00,  // receive window
            0x00, 0xAB, 0xCF, 0x00,  // timestamp
            0x00, 0x01, 0x23, 0x45,  // timestamp echo: the SYN's timestamp
            0x00, 0x08, 0x00, 0x00,  // payload length 8, reserved
            0x00, 0x02,              // payload: reason code 2, file exists
            0x65, 0x78, 0x69, 0x73, 0x74, 0x73,  //   "exists"
            0x34, 0x13, 0x02, 0x44,  // CRC32C
        ],
        header: PacketHeader(type: .reset, connectionID: connection, sequence: SequenceNumber(0x1122_3344),
                             acknowledgement: SequenceNumber(isn &+ 1), timestamp: 0x00AB_CF00, timestampEcho: 0x0001_2345),
        sacks: [],
        payload: ResetPayload(code: .fileExists, message: "exists").encoded())
}

/// Decodes `vector` and hands the view to `body` while its bytes are alive.
private func decoded<Result>(_ vector: WireVector, _ body: (PacketView) throws -> Result) throws -> Result {
    try vector.bytes.withUnsafeBytes { raw in try body(try PacketView.decode(raw)) }
}

/// Checks every header field of `view` against the one `vector` was written with, one by one.
private func expectHeader(_ view: PacketView, _ vector: WireVector) {
    let want = vector.header
    #expect(view.header.type == want.type)
    #expect(view.header.flags == want.flags)
    #expect(view.header.connectionID == want.connectionID)
    #expect(view.header.sequence == want.sequence)
    #expect(view.header.acknowledgement == want.acknowledgement)
    #expect(view.header.window == want.window)
    #expect(view.header.timestamp == want.timestamp)
    #expect(view.header.timestampEcho == want.timestampEcho)
    #expect(view.sackCount == vector.sacks.count)
    #expect(view.sackBlocks == vector.sacks)
    #expect(Array(view.payload) == vector.payload)
}

@Suite struct WireVectorTests {
    @Test func theReferenceCRC32CAgreesWithTheCheckValue() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
    }

    @Test func aSYNDecodesFieldByField() throws {
        try decoded(.syn) { view in
            expectHeader(view, .syn)
            #expect(view.header.type == .syn && view.header.sequence.rawValue == 0xFFFF_FFF0)
            let payload = try SynPayload(decoding: view.payload)
            #expect(payload.mode == .selectiveRepeat)
            #expect(payload.delivery == .unordered)
            #expect(payload.mss == 1200)
            #expect(payload.window == 64)
            #expect(payload.fileSize == 1_000_000)
            #expect(payload.name == Array("hi.txt".utf8))
        }
    }

    @Test func aDATADecodesFieldByField() throws {
        try decoded(.data) { view in
            expectHeader(view, .data)
            #expect(view.header.flags == 0x01)
            #expect(view.header.sequence.rawValue == 0xFFFF_FFF3)
            #expect(view.header.timestampEcho == 0x00AB_CDEF)
            #expect(Array(view.payload) == Array("hello".utf8))
        }
    }

    @Test func anACKWithSACKBlocksDecodesFieldByField() throws {
        try decoded(.ack) { view in
            expectHeader(view, .ack)
            #expect(view.header.acknowledgement.rawValue == 0xFFFF_FFF2)
            #expect(view.header.window == 60)
            #expect(view.sackCount == 2)
            #expect(view.sackBlock(at: 0) == SackBlock(start: SequenceNumber(0xFFFF_FFF4), end: SequenceNumber(0xFFFF_FFF6)))
            #expect(view.sackBlock(at: 1) == SackBlock(start: SequenceNumber(0xFFFF_FFF8), end: SequenceNumber(2)))
            #expect(view.payload.isEmpty)
        }
    }

    @Test func aFINDecodesFieldByField() throws {
        try decoded(.fin) { view in
            expectHeader(view, .fin)
            #expect(view.header.sequence.rawValue == 2)
            let payload = try FinPayload(decoding: view.payload)
            #expect(payload.fileSize == 5)
            #expect(payload.sha256 == SHA256.hash(Array("hello".utf8)))
            #expect(payload.sha256.bytes == WireVector.helloDigest)
            #expect(payload.retransmitTimeoutMicros == 200_000)
        }
    }

    @Test func anRSTDecodesFieldByField() throws {
        try decoded(.rst) { view in
            expectHeader(view, .rst)
            #expect(view.header.type == .reset)
            let payload = try ResetPayload(decoding: view.payload)
            #expect(payload.code == .fileExists)
            #expect(payload.code.rawValue == 2)
            #expect(payload.message == "exists")
        }
    }

    @Test(arguments: [("SYN", WireVector.syn), ("DATA", .data), ("ACK", .ack), ("FIN", .fin), ("RST", .rst)])
    func theEncoderWritesTheSameBytes(name: String, vector: WireVector) throws {
        let written = try PacketEncoder.encode(vector.header, sacks: vector.sacks, payload: vector.payload)
        #expect(written.count == vector.bytes.count, "\(name)")
        for (offset, (got, want)) in zip(written, vector.bytes).enumerated() where got != want {
            Issue.record("\(name): byte \(offset) is 0x\(String(got, radix: 16)), PROTOCOL.md says 0x\(String(want, radix: 16))")
        }
    }

    @Test(arguments: [("SYN", WireVector.syn), ("DATA", .data), ("ACK", .ack), ("FIN", .fin), ("RST", .rst)])
    func anyFlippedBitIsACRCMismatchOrAnotherWireError(name: String, vector: WireVector) {
        for offset in vector.bytes.indices {
            var damaged = vector.bytes
            damaged[offset] ^= 0x10
            let result = damaged.withUnsafeBytes { raw in Result { () throws(WireError) in try PacketView.decode(raw) } }
            guard case .failure = result else {
                Issue.record("\(name): a flipped bit in byte \(offset) decoded as a packet")
                continue
            }
        }
    }
}
