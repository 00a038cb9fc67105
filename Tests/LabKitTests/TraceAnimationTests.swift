import Testing
@testable import LabKit

/// Animations of real transfers from their trace files, which see one end only.
@Suite struct TraceAnimationTests {
    func animate(_ text: String, delay: Double? = nil) throws -> AnimationRun {
        try TraceAnimation.run(TraceFile(parsing: text), path: "/tmp/t.jsonl", connection: nil, assumedDelay: delay,
                               maxDataSendings: 300, command: "rudp-lab animate --trace /tmp/t.jsonl")
    }

    @Test func aSendersTraceShowsItsSendingsAcksAndTheSendingItTimedOutOn() throws {
        let run = try animate(TracePlotTests.senderTrace)
        #expect(run.source == .senderTrace)
        #expect(run.protocolName == "gbn")
        #expect(run.window == 4)
        // Half the smoothed RTT the sender traced (20 ms).
        #expect(abs(run.oneWayDelay - 0.010) < 1e-9)
        let data = run.flights.filter { $0.kind == .data }
        #expect(data.count == 8)
        #expect(run.retransmissions.compactMap(\.index) == [2, 3, 4])
        // The first sending of packet 2 is the one the timer expired on.
        #expect(data.filter(\.lost).map { "\($0.index!):\($0.transmission)" } == ["2:1"])
        #expect(run.timeouts.map(\.index) == [2])
        #expect(data.allSatisfy { $0.estimated })
        #expect(run.senderState(at: 0.05)?.base == 2)
        #expect(run.senderState(at: 0.2)?.base == 5)
        #expect(run.caveats.contains { $0.contains("estimated") })
    }

    @Test func aReceiversTraceShowsArrivalsAndTheAcksItSent() throws {
        let run = try animate(TracePlotTests.receiverTrace, delay: 0.005)
        #expect(run.source == .receiverTrace)
        #expect(abs(run.oneWayDelay - 0.005) < 1e-9)
        let arrivals = run.flights.filter { $0.kind == .data }
        #expect(!arrivals.isEmpty)
        #expect(arrivals.allSatisfy { $0.arrived != nil && abs($0.arrived! - $0.sent - 0.005) < 1e-9 })
    }

    @Test func aPageOfATraceIsSelfContained() throws {
        let run = try animate(TracePlotTests.senderTrace)
        let html = AnimationPage(title: run.title, runs: [run]).render()
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        // Nothing fetched: no external script, style sheet, font or image.
        for reference in ["src=", "href=", "<link", "@import", "url(", "@font-face"] {
            #expect(!html.contains(reference), "the page refers to something outside it: \(reference)")
        }
        #expect(html.contains("window.rudpAnimation"))
    }
}
