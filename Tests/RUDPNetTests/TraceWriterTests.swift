import Foundation
import RUDP
import RUDPNet
import Testing

/// The JSON lines `--trace` writes, checked byte for byte.
@Suite struct TraceWriterTests {
    /// Writes `events` (each `elapsed` ns after the start) and returns the file's lines.
    static func written(_ events: [(UInt64, ProtocolEvent)]) throws -> [String] {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("trace-\(UUID().uuidString).jsonl").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let writer = try TraceWriter(path: path)
        for (elapsed, event) in events { writer.record(event, elapsed: elapsed) }
        try writer.close()
        return try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
    }

    @Test func aCongestionReportIsOneCwndLineInBytesWithTheMSS() throws {
        let loss = CongestionReport(cause: .loss, window: 30_000, slowStartThreshold: 30_000, bytesInFlight: 54_000,
                                    mss: 1_200, pacingRate: nil, phase: .recovery)
        let paced = CongestionReport(cause: .acknowledgement, window: 250_000, slowStartThreshold: nil,
                                     bytesInFlight: 120_000, mss: 1_200, pacingRate: 2_500_000, phase: .probeBandwidth)
        let lines = try Self.written([(95_020_000, .congestion(loss)), (1_500_000_000, .congestion(paced))])
        #expect(lines == [
            #"{"t":0.095020,"event":"cwnd","cause":"loss","cwnd":30000,"ssthresh":30000,"in_flight":54000,"mss":1200,"pacing_mbps":null,"phase":"recovery"}"#,
            #"{"t":1.500000,"event":"cwnd","cause":"ack","cwnd":250000,"ssthresh":null,"in_flight":120000,"mss":1200,"pacing_mbps":20.000,"phase":"probe_bw"}"#,
        ])
    }

    @Test func everyCauseAndPhaseIsWrittenByItsName() throws {
        var events: [(UInt64, ProtocolEvent)] = []
        for cause in CongestionReport.Cause.allCases {
            for phase in CongestionPhase.allCases {
                events.append((0, .congestion(CongestionReport(cause: cause, window: 1, slowStartThreshold: nil,
                                                               bytesInFlight: 0, mss: 1, pacingRate: 125, phase: phase))))
            }
        }
        let lines = try Self.written(events)
        #expect(lines.count == events.count)
        for (line, (_, event)) in zip(lines, events) {
            guard case .congestion(let report) = event else { continue }
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            #expect(object["cause"] as? String == report.cause.rawValue)
            #expect(object["phase"] as? String == report.phase?.rawValue)
            #expect(object["pacing_mbps"] as? Double == 0.001, "125 bytes per second is one kbit/s")
        }
    }
}
