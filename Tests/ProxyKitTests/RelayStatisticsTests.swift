import CLIKit
import Impairment
import Testing

@testable import ProxyKit

/// The statistics report's JSON and human forms.
@Suite struct RelayStatisticsTests {
    private func sample() -> RelayStatistics {
        var report = RelayStatistics()
        report.elapsed = 2_500_000_000
        report.activeClients = 1
        report.totalClients = 3
        report.forward.impairment.received = 100
        report.forward.impairment.droppedLoss = 9
        report.forward.impairment.droppedQueue = 2
        report.forward.impairment.duplicated = 4
        report.forward.impairment.corrupted = 1
        report.forward.impairment.reordered = 5
        report.forward.impairment.delayed = 90
        report.forward.impairment.heldNow = 3
        report.forward.sendFailed = 1
        report.forward.sent = 89
        return report
    }

    @Test func jsonHasEveryCounterPerDirection() throws {
        let json = sample().json
        #expect(json["seconds"]?.doubleValue == 2.5)
        #expect(json["final"]?.boolValue == false)
        #expect(json["clients"]?.intValue == 1 && json["clients_total"]?.intValue == 3)
        let forward = try #require(json["forward"])
        #expect(forward["in"]?.intValue == 100)
        #expect(forward["out"]?.intValue == 89)
        #expect(forward["dropped"]?.intValue == 12)
        #expect(forward["dropped_by"]?["loss"]?.intValue == 9)
        #expect(forward["dropped_by"]?["queue"]?.intValue == 2)
        #expect(forward["dropped_by"]?["send_failed"]?.intValue == 1)
        #expect(forward["duplicated"]?.intValue == 4)
        #expect(forward["corrupted"]?.intValue == 1)
        #expect(forward["reordered"]?.intValue == 5)
        #expect(forward["delayed"]?.intValue == 90)
        #expect(forward["queue_drops"]?.intValue == 2)
        #expect(forward["held"]?.intValue == 3)
        #expect(json["reverse"]?["in"]?.intValue == 0)
        #expect(!json.jsonText.contains("\n"))
        #expect(sample().forward.balances)
    }

    @Test func humanLinesNameTheCausesThatOccurred() {
        var report = sample()
        report.isFinal = true
        let lines = report.humanLines
        #expect(lines.count == 2)
        #expect(lines[0] == "lossproxy [total after 2.5 s] forward: in 100, out 89, dropped 12 (loss 9, queue 2, send failed 1), "
            + "duplicated 4, corrupted 1, reordered 5, delayed 90, queue drops 2, held 3")
        #expect(lines[1] == "lossproxy [total after 2.5 s] reverse: in 0, out 0, dropped 0, duplicated 0, corrupted 0, reordered 0, "
            + "delayed 0, queue drops 0")
    }
}
