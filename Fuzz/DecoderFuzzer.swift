// libFuzzer target: the packet decoder and the control-payload codecs.
//
// Every byte string must either decode or yield a WireError (never trap or read out of
// bounds: the build adds AddressSanitizer), and whatever decodes must encode back to exactly
// the same bytes. The input is tried as it is (the checksum almost always fails) and with its
// CRC32C repaired, so the fields behind the checksum are explored too. Finally the input is
// read as the fields of each control payload, to check that encoding and decoding agree.

private let forge = PacketForge()

@_cdecl("LLVMFuzzerTestOneInput")
public func decoderFuzzerEntry(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    checkDecoding(input)
    checkDecoding(forge.raw(Array(input), repairChecksum: true))
    var fields = FuzzInput(input)
    checkPayloadEncodings(&fields)
    return 0
}

/// Decodes `datagram`; if it is a packet, re-encodes it and its payload and compares.
private func checkDecoding(_ datagram: UnsafeRawBufferPointer) {
    let packet: PacketView
    do {
        packet = try PacketView.decode(datagram)
    } catch {
        _ = error.description  // every error must describe itself
        return
    }
    fuzzCheck(packet.payload.count <= datagram.count, "payload larger than the datagram")
    fuzzCheck(packet.sackCount <= WireLayout.maxSackBlocks, "too many SACK blocks accepted")
    // Reserved bytes are not carried by PacketHeader; the encoder writes them as zero.
    let reservedZero = datagram[WireLayout.reservedOffset] == 0 && datagram[WireLayout.reservedOffset + 1] == 0
    let again = try? PacketEncoder.encode(packet.header, sacks: packet.sackBlocks, payload: Array(packet.payload))
    fuzzCheck(again != nil, "a decoded packet cannot be encoded again")
    if reservedZero {
        fuzzCheck(again! == Array(datagram), "decode then encode changed the packet")
    }

    switch packet.header.type {
    case .syn:
        if let syn = try? SynPayload(decoding: packet.payload) {
            fuzzCheck(syn.encoded() == Array(packet.payload) || packet.payload[1] != 0,
                      "SYN payload does not encode back to itself")
        }
    case .synAck:
        if let answer = try? SynAckPayload(decoding: packet.payload) {
            fuzzCheck(answer.mss > 0 && answer.window > 0, "SYN-ACK with a zero field accepted")
            fuzzCheck(answer.encoded() == Array(packet.payload), "SYN-ACK payload does not encode back to itself")
        }
    case .fin:
        if let fin = try? FinPayload(decoding: packet.payload) {
            fuzzCheck(fin.encoded() == Array(packet.payload), "FIN payload does not encode back to itself")
        }
    case .reset:
        if let reset = try? ResetPayload(decoding: packet.payload) {
            fuzzCheck(reset.message.utf8.count <= 3 * ResetPayload.maxMessageLength, "RST message unbounded")
            if String(validating: packet.payload.dropFirst(2), as: UTF8.self) != nil,
               ResetCode(rawValue: packet.payload.readBigEndian(0, as: UInt16.self)) != nil {
                fuzzCheck(reset.encoded() == Array(packet.payload), "RST payload does not encode back to itself")
            }
        }
    case .pathChallenge, .pathResponse:
        if let path = try? PathPayload(decoding: packet.payload) {
            fuzzCheck(path.encoded() == Array(packet.payload), "path payload does not encode back to itself")
        } else {
            fuzzCheck(packet.payload.count != PathPayload.size, "8 bytes of path data refused")
        }
    case .data where packet.header.flags & PacketFlags.redundant != 0:
        checkRedundantPayload(packet.payload)
    case .data, .ack, .finAck:
        break
    }
}

/// A redundant DATA payload that decodes exposes copies and its own bytes that lie within it,
/// add up to it exactly, and are written back by `RedundantPayload.write` byte for byte.
private func checkRedundantPayload(_ payload: UnsafeRawBufferPointer) {
    guard let redundant = try? RedundantPayload(decoding: payload) else { return }
    fuzzCheck(redundant.copyCount >= 1 && redundant.copyCount <= RedundantPayload.maxCopies, "copy count out of range")
    var copies: [(distance: UInt16, bytes: [UInt8])] = []
    redundant.forEachCopy { distance, bytes in
        fuzzCheck(distance >= 1 && !bytes.isEmpty, "a copy at distance 0 or empty was exposed")
        copies.append((UInt16(distance), Array(bytes)))
    }
    fuzzCheck(!redundant.primary.isEmpty, "no bytes of the packet's own")
    let total = RedundantPayload.headerSize(copies: copies.count) + copies.reduce(0) { $0 + $1.bytes.count } + redundant.primary.count
    fuzzCheck(total == payload.count, "copies and own bytes do not add up to the payload")
    var again = [UInt8](repeating: 0, count: total)
    let pairs = copies.map { ($0.distance, $0.bytes) }
    again.withUnsafeMutableBytes { destination in
        withCopies(pairs[...]) { written in RedundantPayload.write(copies: written, primary: redundant.primary, into: destination) }
    }
    fuzzCheck(again == Array(payload), "redundant payload does not write back to itself")
}

/// Calls `body` with every copy's bytes as buffers that stay valid for the call.
private func withCopies(_ copies: ArraySlice<(UInt16, [UInt8])>, collected: [(distance: UInt16, bytes: UnsafeRawBufferPointer)] = [],
                        _ body: ([(distance: UInt16, bytes: UnsafeRawBufferPointer)]) -> Void) {
    guard let first = copies.first else { return body(collected) }
    first.1.withUnsafeBytes { bytes in
        withCopies(copies.dropFirst(), collected: collected + [(first.0, bytes)], body)
    }
}

/// Builds each control payload from fuzzed fields: what the encoder writes must decode to the
/// same value, or (for values the wire cannot carry) to a refusal, never to something else.
private func checkPayloadEncodings(_ input: inout FuzzInput) {
    // Names around the 4,096-byte limit are made by repeating input bytes (inputs stay short).
    let nameLength = input.chance(8) ? input.within(4_000...4_200) : input.below(300)
    let nameSeed = input.bytes(upTo: 16) + [0x61]
    let name = (0..<nameLength).map { nameSeed[$0 % nameSeed.count] }
    var syn = SynPayload(mode: TransferMode.allCases[input.below(3)], mss: input.within(1...65_535),
                         window: UInt32(input.within(1...Int(UInt16.max))), fileSize: input.chance(3) ? nil : input.integer(),
                         name: name)
    // 0-RTT fields: a token (empty: asking for one), early data within the MSS and the limit.
    if input.chance(3) { syn.addressToken = input.bytes(upTo: SynPayload.maxTokenLength) }
    if input.chance(3) {
        let seed = input.bytes(upTo: 8) + [0x5a]
        syn.earlyData = (0..<input.within(1...min(syn.mss, SynPayload.maxEarlyDataLength))).map { seed[$0 % seed.count] }
    }
    let synBytes = syn.encoded()
    let decodedSyn = synBytes.withUnsafeBytes { try? SynPayload(decoding: $0) }
    fuzzCheck(decodedSyn != nil, "an encoded SYN (name of \(name.count) bytes) does not decode")
    var expected = syn
    if expected.fileSize == SynPayload.unknownSize { expected.fileSize = nil }  // the wire's "unknown"
    if name.count <= SynPayload.maxNameLength {
        fuzzCheck(decodedSyn == expected, "an encoded SYN decodes to another value")
    } else {
        fuzzCheck(decodedSyn?.name == Array(name.prefix(SynPayload.maxNameLength)), "an overlong name is not cut at the limit")
    }

    var answer = SynAckPayload(mss: input.within(1...65_535), window: UInt32(input.within(1...Int(UInt16.max))))
    answer.tookEarlyData = input.chance(2)
    if input.chance(2) { answer.addressToken = input.bytes(upTo: SynPayload.maxTokenLength - 1) + [1] }
    if input.chance(2) { answer.response = input.bytes(upTo: 100) + [2] } else { answer.responseFollows = input.chance(2) }
    fuzzCheck(answer.encoded().withUnsafeBytes { try? SynAckPayload(decoding: $0) } == answer, "SYN-ACK round trip")

    let fin = FinPayload(fileSize: input.integer(), sha256: SHA256.hash(input.bytes(upTo: 8)),
                         retransmitTimeoutMicros: input.integer())
    fuzzCheck(fin.encoded().withUnsafeBytes { try? FinPayload(decoding: $0) } == fin, "FIN round trip")

    let message = String(decoding: input.bytes(upTo: 700), as: UTF8.self)
    let path = PathPayload(data: input.integer())
    let decodedPath = path.encoded().withUnsafeBytes { try? PathPayload(decoding: $0) }
    fuzzCheck(decodedPath == path, "path payload round trip")
    let reset = ResetPayload(code: ResetCode.allCases[input.below(ResetCode.allCases.count)], message: message)
    let resetBytes = reset.encoded()
    fuzzCheck(resetBytes.count <= 2 + ResetPayload.maxMessageLength, "RST payload over its limit")
    let decodedReset = resetBytes.withUnsafeBytes { try? ResetPayload(decoding: $0) }
    fuzzCheck(decodedReset?.code == reset.code && message.hasPrefix(decodedReset?.message ?? "\u{0}"),
              "RST round trip")
}
