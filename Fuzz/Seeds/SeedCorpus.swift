#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes the decoder target's hand-made seeds: one valid packet of every type, with SACK
/// blocks and with each control payload, so fuzzing starts behind the checksum.
/// Run by `scripts/fuzz.sh --seeds`; the other targets' seeds are corpora the fuzzer grew.
@main
enum SeedCorpus {
    static func main() {
        let directory = CommandLine.arguments.count > 1 ? CommandLine.arguments[1] + "/decoder" : "Fuzz/corpus/decoder"
        mkdir(directory, 0o755)
        let connection: UInt32 = 0xC0FF_EE00
        let isn = SequenceNumber(UInt32.max - 2)
        func header(_ type: PacketType) -> PacketHeader {
            PacketHeader(type: type, connectionID: connection, sequence: isn, acknowledgement: isn + 1, window: 64,
                         timestamp: 123_456, timestampEcho: 654_321)
        }
        let digest = SHA256.hash(Array("seed".utf8))
        // DATA carrying copies of the two packets before it (redundancy), then its own bytes.
        var redundantHeader = header(.data)
        redundantHeader.flags = PacketFlags.redundant
        let first = Array("older".utf8), second = Array("old".utf8), own = Array("new".utf8)
        var redundantPayload = [UInt8](repeating: 0, count: RedundantPayload.headerSize(copies: 2) + 11)
        first.withUnsafeBytes { a in second.withUnsafeBytes { b in own.withUnsafeBytes { c in
            redundantPayload.withUnsafeMutableBytes { RedundantPayload.write(copies: [(2, a), (1, b)], primary: c, into: $0) }
        } } }
        var zeroRTT = SynPayload(mode: .selectiveRepeat, mss: 1200, window: 8, fileSize: 100, name: Array("request".utf8))
        zeroRTT.retryBudget = RetryBudget(retries: 20, largestTimeout: 4_000_000_000)
        zeroRTT.addressToken = Array(repeating: 0x7e, count: 24)
        zeroRTT.earlyData = Array("GET /status".utf8)
        var askingForToken = zeroRTT
        askingForToken.addressToken = []
        var answered = SynAckPayload(mss: 1200, window: 8)
        answered.tookEarlyData = true
        answered.addressToken = Array(repeating: 0x3c, count: 24)
        answered.response = Array("200 OK".utf8)
        var answerFollows = SynAckPayload(mss: 1200, window: 8)
        answerFollows.tookEarlyData = true
        answerFollows.responseFollows = true
        let seeds: [(String, PacketHeader, [SackBlock], [UInt8])] = [
            ("syn", header(.syn), [], SynPayload(mode: .selectiveRepeat, mss: 1200, window: 64, fileSize: 5_000,
                                                  name: Array("report.pdf".utf8)).encoded()),
            ("syn-stdin", header(.syn), [], SynPayload(mode: .goBackN, mss: 1, window: 1, fileSize: nil,
                                                        name: Array("dir.tar".utf8)).encoded()),
            ("synack", header(.synAck), [], SynAckPayload(mss: 1200, window: 64).encoded()),
            ("data", header(.data), [], Array("hello, fuzzer".utf8)),
            ("ack", header(.ack), [], []),
            ("ack-sack", header(.ack), [SackBlock(start: isn + 3, end: isn + 5), SackBlock(start: isn + 7, end: isn + 8)], []),
            ("fin", header(.fin), [], FinPayload(fileSize: 4, sha256: digest, retransmitTimeoutMicros: 200_000).encoded()),
            ("finack", header(.finAck), [], []),
            ("syn-0rtt-token", header(.syn), [], zeroRTT.encoded()),
            ("syn-0rtt-asking", header(.syn), [], askingForToken.encoded()),
            ("synack-0rtt-answer", header(.synAck), [], answered.encoded()),
            ("synack-0rtt-follows", header(.synAck), [], answerFollows.encoded()),
            ("finack-response", header(.finAck), [], Array("a response that followed".utf8)),
            ("rst", header(.reset), [], ResetPayload(code: .fileExists, message: "'a' already exists").encoded()),
            ("path-challenge", header(.pathChallenge), [], PathPayload(data: 0x0123_4567_89AB_CDEF).encoded()),
            ("path-response", header(.pathResponse), [], PathPayload(data: 0x0123_4567_89AB_CDEF).encoded()),
            ("data-redundant", redundantHeader, [], redundantPayload),
        ]
        for (name, header, sacks, payload) in seeds {
            guard let bytes = try? PacketEncoder.encode(header, sacks: sacks, payload: payload) else { continue }
            let path = "\(directory)/\(name).bin"
            guard let file = fopen(path, "wb") else { continue }
            _ = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
            fclose(file)
        }
        print("wrote \(seeds.count) seeds to \(directory)")
    }
}
