import Foundation
import RUDP
import Testing

/// `tools/wireshark/rudp.lua` on path validation: SYN flag bit 5, and a PATH-CHALLENGE with
/// its PATH-RESPONSE (8 bytes of data each), plus one whose data is not 8 bytes.
@Suite(.enabled(if: tsharkPath != nil, "needs tshark (apt-get install tshark)"))
struct DissectorPathTests {
    @Test func pathChallengeAndResponseReadBack() throws {
        var syn = SynPayload(mode: .selectiveRepeat, mss: 1_000, window: 64, fileSize: 5, name: Array("f".utf8))
        syn.answersPathChallenges = true
        let data = PathPayload(data: 0x0123_4567_89AB_CDEF).encoded()
        let datagrams: [HandmadeCapture.Datagram] = [
            .init(try DissectorFieldTests.packet(.syn, sequence: DissectorFieldTests.isn, payload: syn.encoded())),
            .init(try DissectorFieldTests.packet(.pathChallenge, payload: data), reply: true),
            .init(try DissectorFieldTests.packet(.pathResponse, sequence: 12, payload: data)),
            .init(try DissectorFieldTests.packet(.pathResponse, sequence: 12, payload: Array(data.prefix(5)))),
        ]
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("rudp-path-\(UUID().uuidString).pcap")
        defer { try? FileManager.default.removeItem(at: file) }
        try HandmadeCapture.write(datagrams, into: file)
        let fields = ["rudp.type", "rudp.syn.flags", "rudp.syn.flags.path_challenges", "rudp.path.data", "_ws.col.Info"]
        let lines = try Dissector.tshark(["-r", file.path, "-T", "fields", "-E", "separator=/t"] + fields.flatMap { ["-e", $0] })
        let frames = lines.map { line in
            Dictionary(uniqueKeysWithValues: zip(fields, line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)))
        }
        try #require(frames.count == 4, "\(lines)")
        #expect(frames[0]["rudp.syn.flags"] == "0x20" && ["1", "True"].contains(frames[0]["rudp.syn.flags.path_challenges"] ?? ""))
        #expect(frames[1]["rudp.type"] == "9" && frames[1]["rudp.path.data"] == "0x0123456789abcdef")
        #expect(frames[1]["_ws.col.Info"] == "PATH-CHALLENGE data=0123456789abcdef")
        #expect(frames[2]["rudp.type"] == "10" && frames[2]["_ws.col.Info"] == "PATH-RESPONSE data=0123456789abcdef")
        #expect(frames[3]["_ws.col.Info"]?.contains("malformed") == true, "\(frames[3])")
    }
}
