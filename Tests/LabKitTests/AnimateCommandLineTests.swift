import CLIKit
import Testing
@testable import LabKit

/// `rudp-lab animate` command lines: exercises, scenarios and traces, and what is refused.
@Suite struct AnimateCommandLineTests {
    @Test func aScenarioTakesItsLossesAndLink() throws {
        let options = try AnimateCommandLine.parse([
            "rudp-lab animate", "--protocol", "sr", "--window", "5", "--packets", "10", "--lose-data", "3,3:2",
            "--lose-ack", "0,4", "--delay", "20ms", "--rate", "2mbit", "--cc", "reno", "--rto", "300ms", "--out", "x.html",
        ])
        guard case .scenario(let scenario) = options.input else { Issue.record("not a scenario"); return }
        #expect(scenario.mode == .selectiveRepeat)
        #expect(scenario.window == 5 && scenario.packets == 10)
        #expect(scenario.dataLosses == [.init(index: 3), .init(index: 3, transmission: 2)])
        #expect(scenario.ackLosses == [0, 4])
        #expect(scenario.oneWayDelay == 20_000_000 && scenario.rate == 2_000_000)
        #expect(scenario.congestionControl == .reno && scenario.retransmission == .fixed(300_000_000))
        #expect(options.outPath == "x.html")
        // The scenario's own arguments give it back.
        let again = try AnimateCommandLine.parse(["rudp-lab animate"] + scenario.arguments)
        guard case .scenario(let reparsed) = again.input else { Issue.record("not a scenario"); return }
        #expect(reparsed == scenario)
    }

    @Test func anExerciseIsChangedByTheFlagsGiven() throws {
        let options = try AnimateCommandLine.parse(["rudp-lab animate", "--exercise", "kill-first-packet", "--protocol", "sr"])
        guard case .exercise(let exercise, let scenarios) = options.input else { Issue.record("not an exercise"); return }
        #expect(exercise.name == "kill-first-packet")
        #expect(scenarios.map(\.mode) == [.selectiveRepeat])
        #expect(scenarios[0].dataLosses == [.init(index: 0)], "the exercise's loss stays")
        #expect(options.outPath == "kill-first-packet.html")
    }

    @Test func contradictionsAreUsageErrors() {
        for arguments in [["--exercise", "nope"], ["--exercise", "gbn-vs-sr", "--protocol", "sr"],
                          ["--trace", "t.jsonl", "--protocol", "gbn"], ["--trace", "t.jsonl", "--exercise", "kill-first-ack"],
                          ["--lose-data", "x"], ["--lose-data", "2:0"], ["--protocol", "tcp"], ["--connection", "5"]] {
            #expect(throws: UsageError.self, "\(arguments)") { try AnimateCommandLine.parse(["rudp-lab animate"] + arguments) }
        }
    }

    @Test func everyExerciseRecordsAndSaysWhatToObserve() throws {
        for exercise in AnimationExercise.all {
            let page = try AnimationBuilder.page(exercise: exercise)
            #expect(page.runs.count == exercise.scenarios.count)
            #expect(page.runs.allSatisfy { !$0.notes.isEmpty }, "\(exercise.name)")
            #expect(page.render().contains("What to observe"))
        }
    }

    @Test func theNotesAreTheRunsOwnNumbers() throws {
        let page = try AnimationBuilder.page(exercise: .killFirstPacket)
        let run = page.runs[0]
        let price = try #require(run.notes.last)
        #expect(price.contains("\(run.retransmissions.count) retransmissions"))
        #expect(price.contains("\(run.timeouts.count) timeout"))
        let comparison = try AnimationBuilder.page(exercise: .goBackNAgainstSelectiveRepeat).runs[0].notes.last!
        #expect(comparison.hasPrefix("Side by side"))
    }
}
