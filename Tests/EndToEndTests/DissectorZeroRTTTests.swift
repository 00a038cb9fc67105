import Foundation
import RUDP
import Testing

/// `tools/wireshark/rudp.lua` on the 0-RTT fields (docs/PROTOCOL.md §3.1), written by our own
/// encoder: a SYN with a token and early data, the SYN-ACK answering in itself, one whose
/// answer follows, and the FIN-ACK that carries it.
@Suite(.enabled(if: tsharkPath != nil, "needs tshark (apt-get install tshark)"))
struct DissectorZeroRTTTests {
    @Test func everyZeroRTTFieldReadsBackAsEncoded() throws {
        let isn = DissectorFieldTests.isn
        var syn = SynPayload(mode: .selectiveRepeat, mss: 1_200, window: 8, fileSize: 11, name: Array("q".utf8))
        syn.addressToken = Array(repeating: 0xAB, count: 24)
        syn.earlyData = Array("GET /status".utf8)
        var answered = SynAckPayload(mss: 1_200, window: 8)
        answered.tookEarlyData = true
        answered.addressToken = Array(repeating: 0xCD, count: 24)
        answered.response = Array("200 OK".utf8)
        var follows = SynAckPayload(mss: 1_200, window: 8)
        follows.tookEarlyData = true
        follows.responseFollows = true
        let datagrams: [HandmadeCapture.Datagram] = [
            .init(try DissectorFieldTests.packet(.syn, sequence: isn, payload: syn.encoded())),
            .init(try DissectorFieldTests.packet(.synAck, sequence: 77, ack: isn &+ 1, window: 8, payload: answered.encoded()),
                  reply: true),
            .init(try DissectorFieldTests.packet(.synAck, sequence: 77, ack: isn &+ 1, window: 8, payload: follows.encoded()),
                  reply: true),
            .init(try DissectorFieldTests.packet(.finAck, sequence: 77, ack: isn &+ 3, payload: Array("a long answer".utf8)),
                  reply: true),
        ]
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("rudp-dissector-0rtt-\(UUID().uuidString).pcap")
        defer { try? FileManager.default.removeItem(at: file) }
        try HandmadeCapture.write(datagrams, into: file)
        let fields = ["rudp.syn.flags", "rudp.syn.token_len", "rudp.syn.token", "rudp.syn.early_len", "rudp.syn.early_data",
                      "rudp.synack.flags", "rudp.synack.token_len", "rudp.synack.response_len", "rudp.synack.response",
                      "rudp.finack.response", "_ws.expert.message", "_ws.col.Info"]
        let lines = try Dissector.tshark(["-r", file.path, "-T", "fields", "-E", "separator=/t"] + fields.flatMap { ["-e", $0] })
        let frames = lines.map { line in
            Dictionary(uniqueKeysWithValues: zip(fields, line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)))
        }
        try #require(frames.count == 4, "\(lines)")
        let hex = { (bytes: [UInt8]) in bytes.map { String(format: "%02x", $0) }.joined() }
        #expect(frames[0]["rudp.syn.flags"] == "0x18" && frames[0]["rudp.syn.token_len"] == "24")
        #expect(frames[0]["rudp.syn.token"]?.filter(\.isHexDigit) == hex(Array(repeating: 0xAB, count: 24)))
        #expect(frames[0]["rudp.syn.early_len"] == "11")
        #expect(frames[0]["rudp.syn.early_data"]?.filter(\.isHexDigit) == hex(Array("GET /status".utf8)))
        #expect(frames[0]["_ws.col.Info"] == "SYN sr mss=1200 win=8 name=q token early=11")
        #expect(frames[1]["rudp.synack.flags"] == "0x0007" && frames[1]["rudp.synack.token_len"] == "24")
        #expect(frames[1]["rudp.synack.response_len"] == "6")
        #expect(frames[1]["rudp.synack.response"]?.filter(\.isHexDigit) == hex(Array("200 OK".utf8)))
        #expect(frames[1]["_ws.col.Info"] == "SYN-ACK mss=1200 win=8 took-early-data token response=6")
        #expect(frames[2]["rudp.synack.flags"] == "0x0009")
        #expect(frames[2]["_ws.col.Info"] == "SYN-ACK mss=1200 win=8 took-early-data response-follows")
        #expect(frames[3]["rudp.finack.response"]?.filter(\.isHexDigit) == hex(Array("a long answer".utf8)))
        #expect(frames[3]["_ws.col.Info"] == "FIN-ACK ack=\(isn &+ 3) response=13")
        #expect(frames.allSatisfy { $0["_ws.expert.message"] == "CRC32C matches" },
                "nothing malformed, no bit undefined: \(frames.map { $0["_ws.expert.message"] ?? "" })")
    }
}
