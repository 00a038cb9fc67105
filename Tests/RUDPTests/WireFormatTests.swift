import RUDP
import Testing

/// One example packet of every type, with every header field set to something distinctive.
private func examplePackets() -> [(PacketHeader, [SackBlock], [UInt8])] {
    let digest = SHA256.hash(Array("abc".utf8))
    func header(_ type: PacketType) -> PacketHeader {
        PacketHeader(type: type, flags: 0, connectionID: 0xDEAD_BEEF, sequence: SequenceNumber(0xFFFF_FFF0),
                     acknowledgement: SequenceNumber(7), window: 512, timestamp: 123_456, timestampEcho: 654_321)
    }
    return [
        (header(.syn), [], SynPayload(mode: .selectiveRepeat, mss: 1200, window: 64, fileSize: 1 << 40,
                                      name: Array("report.pdf".utf8)).encoded()),
        (header(.syn), [], SynPayload(mode: .stopAndWait, mss: 1, window: 1, fileSize: nil, name: []).encoded()),
        (header(.synAck), [], SynAckPayload(mss: 1000, window: 32).encoded()),
        (header(.data), [], Array(0..<255)),
        (header(.ack), [SackBlock(start: SequenceNumber(10), end: SequenceNumber(12)),
                        SackBlock(start: SequenceNumber(0xFFFF_FFFE), end: SequenceNumber(3))], []),
        (header(.fin), [], FinPayload(fileSize: 42, sha256: digest, retransmitTimeoutMicros: 200_000).encoded()),
        (header(.finAck), [], []),
        (header(.reset), [], ResetPayload(code: .unsafeName, message: "file name 'a/b' is not allowed").encoded()),
        (header(.pathChallenge), [], PathPayload(data: 0x0123_4567_89AB_CDEF).encoded()),
        (header(.pathResponse), [], PathPayload(data: 0x0123_4567_89AB_CDEF).encoded()),
    ]
}

@Test func everyPacketTypeRoundTrips() throws {
    var seen = Set<PacketType>()
    for (header, sacks, payload) in examplePackets() {
        let bytes = try PacketEncoder.encode(header, sacks: sacks, payload: payload)
        #expect(bytes.count == WireLayout.overhead + sacks.count * 8 + payload.count)
        try bytes.withUnsafeBytes { raw in
            let view = try PacketView.decode(raw)
            #expect(view.header == header)
            #expect(view.sackBlocks == sacks)
            #expect(Array(view.payload) == payload)
            switch header.type {
            case .syn: #expect(try SynPayload(decoding: view.payload).encoded() == payload)
            case .synAck: #expect(try SynAckPayload(decoding: view.payload) == SynAckPayload(mss: 1000, window: 32))
            case .fin: #expect(try FinPayload(decoding: view.payload).fileSize == 42)
            case .reset: #expect(try ResetPayload(decoding: view.payload).code == .unsafeName)
            case .pathChallenge, .pathResponse:
                #expect(try PathPayload(decoding: view.payload).data == 0x0123_4567_89AB_CDEF)
                #expect(payload == [0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF])
            default: break
            }
        }
        seen.insert(header.type)
    }
    #expect(seen == Set(PacketType.allCases))
}

@Test func synPayloadKeepsUnknownSizeAndName() throws {
    let offer = SynPayload(mode: .goBackN, mss: 1400, window: 9, fileSize: nil, name: Array("ünïcode name".utf8))
    let decoded = try offer.encoded().withUnsafeBytes { try SynPayload(decoding: $0) }
    #expect(decoded == offer)
    #expect(decoded.fileSize == nil)
}

/// The retry budget rides after the name, flagged (bit 1), so a SYN without it is the same
/// bytes as before and still decodes (as an unannounced budget).
@Test func synPayloadCarriesTheRetryBudgetOnlyWhenFlagged() throws {
    var offer = SynPayload(mode: .selectiveRepeat, mss: 1200, window: 64, fileSize: 5, name: Array("f".utf8))
    let plain = offer.encoded()
    #expect(plain[1] == 0 && plain.count == 19)
    #expect(try plain.withUnsafeBytes { try SynPayload(decoding: $0) }.retryBudget == nil)
    offer.retryBudget = RetryBudget(retries: 10, largestTimeout: 4_000_000_000)
    let announced = offer.encoded()
    #expect(announced[1] == 0x02)
    #expect(Array(announced[19...]) == [0x00, 0x0A, 0x00, 0x3D, 0x09, 0x00], "10 retries, 4,000,000 µs")
    #expect(try announced.withUnsafeBytes { try SynPayload(decoding: $0) } == offer)
    // Flagged but cut short, or announcing a timeout of 0: malformed.
    #expect(throws: WireError.self) { try announced.dropLast(2).withUnsafeBytes { _ = try SynPayload(decoding: $0) } }
    var zero = announced
    zero.replaceSubrange(21..., with: [0, 0, 0, 0])
    #expect(throws: WireError.self) { try zero.withUnsafeBytes { _ = try SynPayload(decoding: $0) } }
}

@Test func everyTruncatedPrefixIsRejected() throws {
    for (header, sacks, payload) in examplePackets() {
        let bytes = try PacketEncoder.encode(header, sacks: sacks, payload: payload)
        for length in 0..<bytes.count {
            let prefix = Array(bytes[0..<length])
            #expect(throws: WireError.self) { try prefix.withUnsafeBytes { _ = try PacketView.decode($0) } }
        }
    }
}

@Test func everySingleBitFlipIsDetected() throws {
    let bytes = try PacketEncoder.encode(examplePackets()[3].0, payload: Array(repeating: 0x5A, count: 64))
    for bit in 0..<(bytes.count * 8) {
        var corrupted = bytes
        corrupted[bit / 8] ^= 1 << UInt8(bit % 8)
        #expect(throws: WireError.self) { try corrupted.withUnsafeBytes { _ = try PacketView.decode($0) } }
    }
}

@Test func randomByteStringsNeverCrashTheDecoder() {
    var state: UInt64 = 0x1234_5678
    func next() -> UInt64 {
        state ^= state << 13; state ^= state >> 7; state ^= state << 17
        return state
    }
    var accepted = 0
    for _ in 0..<20_000 {
        let length = Int(next() % 200)
        var bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: next()) }
        if length > 4 && next() % 2 == 0 { bytes[0] = WireLayout.version }  // get past the version check often
        if let view = try? bytes.withUnsafeBytes({ try PacketView.decode($0) }) {
            accepted += 1
            _ = view.sackBlocks
            // Control payload decoders must also survive whatever is inside.
            _ = try? SynPayload(decoding: view.payload)
            _ = try? FinPayload(decoding: view.payload)
            _ = try? ResetPayload(decoding: view.payload)
        }
    }
    #expect(accepted == 0, "random bytes should essentially never pass the CRC")
}

@Test func malformedControlPayloadsAreTypedErrors() {
    let garbage: [[UInt8]] = [[], [9, 0, 4, 176, 0, 0, 0, 1], [3, 0, 0, 0, 0, 0, 0, 1], Array(repeating: 0xFF, count: 10)]
    for bytes in garbage {
        #expect(throws: WireError.self) { try bytes.withUnsafeBytes { _ = try SynPayload(decoding: $0) } }
        #expect(throws: WireError.self) { try bytes.withUnsafeBytes { _ = try FinPayload(decoding: $0) } }
    }
    // A SYN whose name length points past the end.
    var syn = SynPayload(mode: .selectiveRepeat, mss: 100, window: 2, fileSize: 3, name: Array("abc".utf8)).encoded()
    syn.removeLast()
    #expect(throws: WireError.self) { try syn.withUnsafeBytes { _ = try SynPayload(decoding: $0) } }
}

@Test func decoderNamesTheProblem() throws {
    var bytes = try PacketEncoder.encode(PacketHeader(type: .ack, connectionID: 1))
    bytes[0] = 9
    #expect(throws: WireError.unsupportedVersion(9)) { try bytes.withUnsafeBytes { _ = try PacketView.decode($0) } }
    #expect(WireError.checksumMismatch.description.contains("CRC32C"))
}

/// Path challenge data is exactly 8 bytes: shorter or longer is refused, never read past.
@Test func pathPayloadIsExactlyEightBytes() throws {
    for length in [0, 1, 7, 9, 64] {
        let bytes = [UInt8](repeating: 0xAB, count: length)
        #expect(throws: WireError.self) { try bytes.withUnsafeBytes { try PathPayload(decoding: $0) } }
    }
}

/// SYN flag bit 5 says the sender answers path challenges; without it the SYN is the same bytes as before.
@Test func synPayloadAnnouncesPathChallengeAnswersInBitFive() throws {
    var offer = SynPayload(mode: .selectiveRepeat, mss: 1200, window: 64, fileSize: 5, name: Array("f".utf8))
    #expect(offer.encoded()[1] == 0)
    offer.answersPathChallenges = true
    let flagged = offer.encoded()
    #expect(flagged[1] == 0x20)
    #expect(try flagged.withUnsafeBytes { try SynPayload(decoding: $0) }.answersPathChallenges)
}
