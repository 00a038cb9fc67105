import CLIKit
import Foundation
import Testing
@testable import LabKit

/// The animation pages opened in a real browser (headless Chromium): what the page draws at a
/// time must be what the recorded run says at that time.
@Suite("Animation pages in headless Chromium", .serialized, .enabled(if: HeadlessBrowser.found != nil, HeadlessBrowser.skipReason))
struct AnimationBrowserTests {
    let browser = HeadlessBrowser.found!

    /// Writes `page` to a temporary file and returns its URL.
    func write(_ page: AnimationPage, name: String) throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rudp-animate-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let url = directory.appendingPathComponent(name)
        try page.render().write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    /// Times between consecutive distinct event times of `run` (never on an edge, where rounding
    /// could tip a comparison), every `stride`-th.
    func quietMoments(_ run: AnimationRun, every stride: Int) -> [Double] {
        var times = Set<Double>()
        for flight in run.flights {
            times.insert(flight.sent)
            times.insert(flight.arrived ?? flight.lossTime(oneWayDelay: run.oneWayDelay))
        }
        run.marks.forEach { times.insert($0.time) }
        run.senderStates.forEach { times.insert($0.time) }
        run.receiverStates.forEach { times.insert($0.time) }
        let sorted = times.sorted()
        return zip(sorted, sorted.dropFirst()).enumerated().filter { $0.offset % stride == 0 }.map { ($0.element.0 + $0.element.1) / 2 }
    }

    /// The drawn state of run `number` against the recording at `time`.
    func expectMatches(_ drawn: DrawnPage, _ run: AnimationRun, at time: Double, run number: Int = 0,
                       sourceLocation: SourceLocation = #_sourceLocation) {
        let state = drawn.run(number)
        let sender = run.senderState(at: time)
        let receiver = run.receiverState(at: time)
        #expect(abs(drawn.time - time) < 1e-6, "the cursor is where the URL put it", sourceLocation: sourceLocation)
        #expect(state["sender"]?["base"]?.intValue == sender?.base, "base at \(time)", sourceLocation: sourceLocation)
        #expect(state["sender"]?["next"]?.intValue == sender?.next, "next at \(time)", sourceLocation: sourceLocation)
        #expect(state["sender"]?["retransmissions"]?.intValue == sender?.retransmissions, sourceLocation: sourceLocation)
        #expect(state["sender"]?["timeouts"]?.intValue == sender?.timeouts, sourceLocation: sourceLocation)
        #expect(state["receiver"]?["expected"]?.intValue == receiver?.expected, "expected at \(time)", sourceLocation: sourceLocation)
        #expect(state["receiver"]?["buffered"]?.arrayValue?.compactMap(\.intValue) == receiver?.buffered,
                sourceLocation: sourceLocation)
        let flying = run.inFlight(at: time).map(\.label)
        #expect(state["in_flight"]?.arrayValue?.compactMap { $0["label"]?.stringValue } == flying,
                "in flight at \(time)", sourceLocation: sourceLocation)
        // The DOM says the same as the script.
        #expect(drawn.sectionAttribute("data-base", run: number) == sender.map { "\($0.base)" }, sourceLocation: sourceLocation)
        #expect(drawn.sectionAttribute("data-in-flight", run: number) == flying.joined(separator: "|"), sourceLocation: sourceLocation)
    }

    @Test func killFirstPacketIsDrawnAsRecordedAtEveryMoment() throws {
        let page = try AnimationBuilder.page(exercise: .killFirstPacket)
        let run = page.runs[0]
        let url = try write(page, name: "kill-first-packet.html")
        let all = quietMoments(run, every: 1)
        let moments = quietMoments(run, every: max(1, all.count / 5))
        #expect(moments.count >= 5)
        for moment in moments {
            expectMatches(try browser.state(of: url, fragment: "t=\(moment)"), run, at: moment)
        }
    }

    @Test func theLossAndTheTimeoutAreDrawnWhenTheyHappen() throws {
        let page = try AnimationBuilder.page(exercise: .killFirstPacket)
        let run = page.runs[0]
        let url = try write(page, name: "kill-first-packet.html")
        let lost = try #require(run.flights.first { $0.kind == .data && $0.lost })
        let dies = lost.lossTime(oneWayDelay: run.oneWayDelay)
        let timeout = try #require(run.timeouts.first)

        let before = try browser.state(of: url, fragment: "t=\(dies - 0.001)")
        #expect(before.run(0)["lost"]?.intValue == 0)
        #expect(before.count("data-state=\"lost\"") == 0)
        let after = try browser.state(of: url, fragment: "t=\(dies + 0.001)")
        #expect(after.run(0)["lost"]?.intValue == 1)
        #expect(after.count("data-state=\"lost\"") == 1)
        #expect(after.sectionAttribute("data-timer") == "running")

        let expired = try browser.state(of: url, fragment: "t=\(timeout.time + 0.0001)")
        #expect(expired.run(0)["sender"]?["timeouts"]?.intValue == 1)
        let resent = run.retransmissions.filter { $0.sent <= timeout.time + 0.0001 }.count
        #expect(resent == 4)
        #expect(expired.run(0)["sender"]?["retransmissions"]?.intValue == resent)
        #expect(expired.sectionAttribute("data-timeouts") == "1")
        expectMatches(expired, run, at: timeout.time + 0.0001)
    }

    @Test func stepsWalkThroughTheEventsAndPlayMovesTheCursor() throws {
        let page = try AnimationBuilder.page(exercise: .windowFiveSixPackets)
        let run = page.runs[0]
        let url = try write(page, name: "window.html")
        let first = try browser.state(of: url, fragment: "step=0")
        let steps = try #require(first.state["steps"]?.intValue)
        #expect(first.time == 0)
        let fifth = try browser.state(of: url, fragment: "step=5")
        #expect(fifth.state["step"]?.intValue == 5)
        #expect(fifth.time > 0)
        let last = try browser.state(of: url, fragment: "step=\(steps - 1)")
        #expect(abs(last.time - run.endTime) < 1e-6)
        #expect(last.run(0)["sender"]?["phase"]?.stringValue == "finished")
        #expect(last.run(0)["receiver"]?["expected"]?.intValue == run.packets)

        // Chromium's virtual time advances the page's clock only as far as its renderer gets on
        // a loaded machine: a longer budget once more before concluding play does not move.
        var playing = try browser.state(of: url, fragment: "t=0.2&play=1", virtualTimeBudget: 3_000)
        if playing.time <= 0.2 { playing = try browser.state(of: url, fragment: "t=0.2&play=1", virtualTimeBudget: 10_000) }
        #expect(playing.state["playing"]?.boolValue == true || playing.time >= run.endTime - 1e-6)
        #expect(playing.time > 0.2)
    }

    @Test func goBackNAndSelectiveRepeatSideBySideShowTheirOwnRepairs() throws {
        let page = try AnimationBuilder.page(exercise: .goBackNAgainstSelectiveRepeat)
        let url = try write(page, name: "gbn-vs-sr.html")
        let end = page.runs.map(\.endTime).max()!
        let drawn = try browser.state(of: url, fragment: "t=\(end)")
        for number in 0..<2 {
            let run = page.runs[number]
            #expect(drawn.run(number)["protocol"]?.stringValue == run.protocolName)
            #expect(drawn.run(number)["sender"]?["retransmissions"]?.intValue == run.retransmissions.count)
        }
        #expect(page.runs[0].retransmissions.count > page.runs[1].retransmissions.count)
        // While the hole is open, SR's receiver holds packets that GBN's throws away.
        let hole = try #require(page.runs[1].receiverStates.first { !$0.buffered.isEmpty })
        let middle = try browser.state(of: url, fragment: "t=\(hole.time + 0.0001)")
        expectMatches(middle, page.runs[0], at: hole.time + 0.0001, run: 0)
        expectMatches(middle, page.runs[1], at: hole.time + 0.0001, run: 1)
        #expect(middle.run(1)["receiver"]?["buffered"]?.arrayValue?.isEmpty == false)
        #expect(middle.run(0)["receiver"]?["buffered"]?.arrayValue?.isEmpty == true)
    }

    @Test func aCongestionControlledSenderShowsItsWindow() throws {
        var scenario = AnimationScenario(mode: .selectiveRepeat, window: 64, packets: 40)
        scenario.congestionControl = .reno
        scenario.dataLosses = [.init(index: 20)]
        let page = try AnimationBuilder.page(title: "reno", scenarios: [scenario])
        let run = page.runs[0]
        let url = try write(page, name: "reno.html")
        let windows = run.senderStates.compactMap(\.congestionWindow)
        #expect(Set(windows).count > 2, "the window changes during the transfer")
        for moment in quietMoments(run, every: max(1, quietMoments(run, every: 1).count / 3)) {
            let drawn = try browser.state(of: url, fragment: "t=\(moment)")
            let expected = try #require(run.senderState(at: moment)?.congestionWindow)
            let shown = try #require(drawn.run(0)["sender"]?["cwnd"]?.doubleValue)
            #expect(abs(shown - expected) < 1e-3)
        }
    }
}
