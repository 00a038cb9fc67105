import CLIKit
import Foundation
import Testing
@testable import LabKit

/// Trace files as rudp-send and rudp-recv write them, and the time-sequence graph drawn from them.
@Suite struct TracePlotTests {
    /// A Go-Back-N sender's trace: packet 2 lost, its timeout, packets 2 and 3 resent.
    static let senderTrace = """
        {"t":0.000000,"event":"start","role":"sender","protocol":"gbn","window":4,"mss":1200,"name":"f.bin","peer":"127.0.0.1:9","size":6000}
        {"t":0.020000,"event":"rto","rto_ms":60.000,"srtt_ms":20.000}
        {"t":0.020100,"event":"send","index":0,"bytes":1200}
        {"t":0.020100,"event":"send","index":1,"bytes":1200}
        {"t":0.020100,"event":"send","index":2,"bytes":1200}
        {"t":0.020100,"event":"send","index":3,"bytes":1200}
        {"t":0.040200,"event":"ack","cumulative":2,"sack_blocks":0,"window_edge":6}
        {"t":0.040300,"event":"send","index":4,"bytes":1200}
        {"t":0.080100,"event":"timeout","index":2,"rto_ms":60.000}
        {"t":0.080100,"event":"rto","rto_ms":120.000,"srtt_ms":20.000}
        {"t":0.080200,"event":"retransmit","index":2,"bytes":1200}
        {"t":0.080200,"event":"retransmit","index":3,"bytes":1200}
        {"t":0.080200,"event":"retransmit","index":4,"bytes":1200}
        {"t":0.100300,"event":"ack","cumulative":5,"sack_blocks":0,"window_edge":9}
        {"t":0.110000,"event":"from_the_future","index":1}
        """

    /// A receiver's trace of two transfers.
    static let receiverTrace = """
        {"t":0.000000,"conn":11,"event":"start","role":"receiver","peer":"127.0.0.1:5"}
        {"t":0.010000,"conn":11,"event":"receive","index":0,"duplicate":false,"out_of_order":false}
        {"t":0.000000,"conn":22,"event":"start","role":"receiver","peer":"127.0.0.1:6"}
        {"t":0.010500,"conn":11,"event":"receive","index":2,"duplicate":false,"out_of_order":true}
        {"t":0.010600,"conn":11,"event":"ack_sent","cumulative":1,"sack_blocks":1,"window":63}
        {"t":0.030000,"conn":11,"event":"receive","index":1,"duplicate":false,"out_of_order":false}
        {"t":0.030100,"conn":11,"event":"ack_sent","cumulative":3,"sack_blocks":0,"window":64}
        {"t":0.031000,"conn":11,"event":"receive","index":2,"duplicate":true,"out_of_order":false}
        {"t":0.012000,"conn":22,"event":"receive","index":0,"duplicate":false,"out_of_order":false}
        """

    @Test func senderEventsDecodeWithTheirFields() throws {
        let trace = try TraceFile(parsing: Self.senderTrace)
        #expect(trace.unknownEvents == 1, "an event this reader does not know is skipped, not an error")
        #expect(trace.events.count == 14)
        #expect(trace.connections.isEmpty)
        let start = try #require(trace.start())
        #expect(start.fields["protocol"]?.stringValue == "gbn")
        let sends = trace.events.filter { $0.kind == .send }
        #expect(sends.map(\.index) == [0, 1, 2, 3, 4])
        let timeout = try #require(trace.events.first { $0.kind == .timeout })
        #expect(timeout.index == 2 && timeout.rtoMilliseconds == 60 && timeout.time == 0.0801)
        let ack = try #require(trace.events.last { $0.kind == .ack })
        #expect(ack.cumulative == 5 && ack.windowEdge == 9)
        #expect(trace.events.map(\.time) == trace.events.map(\.time).sorted(), "lines are in time order")
    }

    @Test func receiverEventsKeepTheirConnection() throws {
        let trace = try TraceFile(parsing: Self.receiverTrace)
        #expect(trace.connections == [11, 22])
        let first = trace.events(connection: 11)
        #expect(first.count == 7)
        let ackSent = try #require(first.first { $0.kind == .ackSent })
        #expect(ackSent.cumulative == 1 && ackSent.windowEdge == 64, "window edge = cumulative + window")
        #expect(first.contains { $0.duplicate && $0.index == 2 })
        #expect(first.contains { $0.outOfOrder && $0.index == 2 })
    }

    @Test func malformedLinesAreErrorsNamingTheLine() {
        let error = #expect(throws: TraceError.self) {
            _ = try TraceFile(parsing: "{\"t\":0,\"event\":\"start\",\"role\":\"sender\"}\nnot json\n")
        }
        #expect(error?.message.hasPrefix("line 2: invalid JSON") == true, "\(String(describing: error))")
        #expect(throws: TraceError(line: 1, "send without a whole, non-negative \"index\"")) {
            _ = try TraceFile(parsing: "{\"t\":0.1,\"event\":\"send\",\"bytes\":3}")
        }
        #expect(throws: TraceError.self) { _ = try TraceFile(parsing: "{\"event\":\"send\",\"index\":1}") }
        #expect(throws: TraceError.self) { _ = try TraceFile(parsing: "[1,2]") }
    }

    @Test func theSenderGraphIsXMLWithAxesLegendAndEverySeries() throws {
        let trace = try TraceFile(parsing: Self.senderTrace)
        let plot = try TimeSequencePlot(events: trace.events)
        #expect(plot.side == .sender)
        #expect(plot.title == "Time-sequence graph (sender): Go-Back-N, window 4, 1200-byte packets")
        let counts = plot.counts
        #expect(counts.packets == 5 && counts.retransmissions == 3 && counts.timeouts == 1 && counts.transmissions == 8)
        let structure = try SVGStructure(plot.render())
        #expect(structure.root == "svg")
        for role in ["axis x-axis", "axis y-axis", "legend", "series send", "series retransmit", "series ack",
                     "series window-edge", "series timeout"] {
            #expect(structure.groupClasses.contains(role), "missing \(role)")
        }
        #expect(structure.texts.contains("time at the sender (s)"))
        #expect(structure.texts.contains("sequence (packet index)"))
        #expect(structure.texts.contains("retransmission"))
        #expect(structure.texts.contains("window edge"))
        #expect(structure.texts.contains { $0.hasPrefix("5 packets, 3 retransmissions (1 timeout, 0 fast retransmits)") })
    }

    @Test func theAckLineStepsAtEachNewCumulativeValue() throws {
        let trace = try TraceFile(parsing: Self.senderTrace)
        let lines = TimeSequencePlot.StepLines(trace.events, side: .sender, range: nil)
        #expect(lines.acknowledged.map(\.value) == [2, 2, 5])
        #expect(lines.acknowledged.map(\.time) == [0.0402, 0.1003, 0.1003])
        #expect(lines.windowEdge.map(\.value) == [6, 6, 9])
        let zoomed = TimeSequencePlot.StepLines(trace.events, side: .sender, range: 0.05...0.09)
        #expect(zoomed.acknowledged.map(\.value) == [2, 2], "a zoom starts the line at the value already reached")
        #expect(zoomed.acknowledged.map(\.time) == [0.05, 0.09])
        let openEnded = TimeSequencePlot.StepLines(trace.events, side: .sender, range: 0.05...Double.greatestFiniteMagnitude)
        #expect(openEnded.acknowledged.last?.time == 0.1003, "an open end stops at the last event")
        var plot = try TimeSequencePlot(events: trace.events, timeRange: 0.05...Double.greatestFiniteMagnitude)
        plot.title = "zoomed"
        #expect(try SVGStructure(plot.render()).texts.contains { $0.hasSuffix("showing 0.05–0.1 s") })
    }

    @Test func theReceiverGraphMarksGapsAndDuplicates() throws {
        let trace = try TraceFile(parsing: Self.receiverTrace)
        let options = try TracePlotCommandLine.parse(["rudp-lab plot-trace", "recv.jsonl"])
        let (plot, chosen) = try TracePlotCommandLine.plot(options, trace: trace)
        #expect(chosen == 11, "the first transfer unless --connection says otherwise")
        #expect(plot.side == .receiver)
        #expect(plot.subtitle.hasPrefix("connection 11: 3 packets received, 1 out of order, 1 duplicate,"))
        let structure = try SVGStructure(plot.render())
        for role in ["series receive", "series out-of-order", "series duplicate", "series ack", "legend"] {
            #expect(structure.groupClasses.contains(role), "missing \(role)")
        }
        #expect(structure.texts.contains("time at the receiver (s)"))

        let other = try TracePlotCommandLine.parse(["rudp-lab plot-trace", "recv.jsonl", "--connection", "22"])
        #expect(try TracePlotCommandLine.plot(other, trace: trace).plot.counts.packets == 1)
        let missing = try TracePlotCommandLine.parse(["rudp-lab plot-trace", "recv.jsonl", "--connection", "33"])
        #expect(throws: TraceError.self) { _ = try TracePlotCommandLine.plot(missing, trace: trace) }
    }

    @Test func theCommandLineNamesTheOutputAndParsesTheZoom() throws {
        #expect(TracePlotCommandLine.defaultOutPath(for: "runs/gbn.jsonl") == "runs/gbn.svg")
        #expect(TracePlotCommandLine.defaultOutPath(for: "trace") == "trace.svg")
        let options = try TracePlotCommandLine.parse(["rudp-lab plot-trace", "a.jsonl", "--from", "0.5s", "--to", "900ms",
                                                      "--out", "z.svg"])
        #expect(options.timeRange == 0.5...0.9)
        #expect(options.outPath == "z.svg")
        #expect(throws: UsageError.self) { try TracePlotCommandLine.parse(["rudp-lab plot-trace", "a", "--from", "2s", "--to", "1s"]) }
        #expect(throws: UsageError.self) { try TracePlotCommandLine.parse(["rudp-lab plot-trace"]) }
    }

    @Test func aTraceWithoutPacketsCannotBeDrawn() throws {
        let trace = try TraceFile(parsing: "{\"t\":0,\"event\":\"start\",\"role\":\"sender\"}")
        #expect(throws: TraceError.self) { _ = try TimeSequencePlot(events: trace.events) }
    }

    @Test func plotTraceWritesTheSVGFile() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("trace-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("gbn.jsonl").path
        try Self.senderTrace.write(toFile: path, atomically: true, encoding: .utf8)
        try TracePlotCommandLine.run(["rudp-lab plot-trace", path, "--quiet"])
        let svg = try String(contentsOfFile: directory.appendingPathComponent("gbn.svg").path, encoding: .utf8)
        #expect(try SVGStructure(svg).groupClasses.contains("series retransmit"))
        #expect(throws: TraceError.self) { try TracePlotCommandLine.run(["rudp-lab plot-trace", path + ".missing", "-q"]) }
    }

    /// A NewReno sender's trace (1000-byte packets): slow start, a loss halves 16 packets to 8,
    /// congestion avoidance back to 10, then a timeout.
    static let renoTrace = """
        {"t":0.000000,"event":"start","role":"sender","protocol":"sr","window":1024,"mss":1000,"cc":"reno"}
        {"t":0.010000,"event":"cwnd","cause":"start","cwnd":10000,"ssthresh":null,"in_flight":0,"mss":1000,"pacing_mbps":null,"phase":"slow_start"}
        {"t":0.010100,"event":"send","index":0,"bytes":1000}
        {"t":0.030000,"event":"cwnd","cause":"ack","cwnd":16000,"ssthresh":null,"in_flight":12000,"mss":1000,"pacing_mbps":null,"phase":"slow_start"}
        {"t":0.040000,"event":"cwnd","cause":"loss","cwnd":8000,"ssthresh":8000,"in_flight":15000,"mss":1000,"pacing_mbps":null,"phase":"recovery"}
        {"t":0.060000,"event":"cwnd","cause":"ack","cwnd":9000,"ssthresh":8000,"in_flight":8000,"mss":1000,"pacing_mbps":null,"phase":"congestion_avoidance"}
        {"t":0.080000,"event":"cwnd","cause":"ack","cwnd":10000,"ssthresh":8000,"in_flight":9000,"mss":1000,"pacing_mbps":null,"phase":"congestion_avoidance"}
        {"t":0.300000,"event":"timeout","index":0,"rto_ms":200.000}
        {"t":0.300000,"event":"cwnd","cause":"timeout","cwnd":5000,"ssthresh":5000,"in_flight":0,"mss":1000,"pacing_mbps":null,"phase":"recovery"}
        {"t":0.300100,"event":"retransmit","index":0,"bytes":1000}
        {"t":0.320000,"event":"ack","cumulative":1,"sack_blocks":0,"window_edge":1025}
        """

    @Test func cwndLinesDecodeInPackets() throws {
        let trace = try TraceFile(parsing: Self.renoTrace)
        #expect(trace.unknownEvents == 0)
        let reports = trace.events.compactMap(\.congestion)
        #expect(reports.map(\.window) == [10, 16, 8, 9, 10, 5])
        #expect(reports.map(\.slowStartThreshold) == [nil, nil, 8, 8, 8, 5])
        #expect(reports[1].inFlight == 12 && reports[1].pacingMbps == nil && reports[1].phase == "slow_start")
        #expect(reports.filter(\.isReaction).map(\.cause) == ["loss", "timeout"])
        #expect(throws: TraceError(line: 1, "cwnd without a whole, non-negative \"mss\"")) {
            _ = try TraceFile(parsing: #"{"t":0.1,"event":"cwnd","cwnd":3,"in_flight":0}"#)
        }
    }

    @Test func aControlledSendersGraphHasTheCongestionWindowPanel() throws {
        let trace = try TraceFile(parsing: Self.renoTrace)
        let plot = try TimeSequencePlot(events: trace.events)
        let panel = try #require(CongestionPanel(trace.events, range: nil, end: 0.32))
        #expect(panel.window.map(\.value) == [10, 10, 16, 16, 8, 8, 9, 9, 10, 10, 5, 5], "a step line in packets")
        #expect(panel.window.last?.time == 0.32, "it runs on to the last event")
        #expect(panel.threshold.first?.value == 8, "no threshold before the first loss")
        #expect(panel.losses.map(\.value) == [8] && panel.timeouts.map(\.value) == [5])
        #expect(panel.pacing.isEmpty)
        #expect(panel.summary == "window up to 16 packets, 5 at the end; 1 reduction on loss, 1 timeout")
        // The phases as shaded intervals, each from the report that entered it to the next phase.
        #expect(panel.phases.map(\.phase) == ["slow_start", "recovery", "congestion_avoidance", "recovery"])
        #expect(panel.phases.map(\.start) == [0.01, 0.04, 0.06, 0.3] && panel.phases.last?.end == 0.32)

        let structure = try SVGStructure(plot.render())
        for role in ["series send", "series cwnd", "series ssthresh", "series in-flight", "series cwnd-loss",
                     "series cwnd-timeout", "legend cwnd", "axis y-axis cwnd", "axis x-axis cwnd"] {
            #expect(structure.groupClasses.contains(role), "missing \(role)")
        }
        #expect(!structure.groupClasses.contains("series pacing"), "NewReno does not pace")
        #expect(structure.texts.contains("congestion window") && structure.texts.contains("slow-start threshold"))
        #expect(structure.groupClasses.contains("series phases"))
        // Its receive window (edge 1025) stands far above the two packets sent: drawn along the top, said so.
        #expect(structure.texts.joined(separator: " ").contains("up to packet 1025, far above the data"), "\(structure.texts)")
        let textbook = try SVGStructure(try TimeSequencePlot(events: TraceFile(parsing: Self.senderTrace).events).render())
        #expect(!textbook.texts.joined(separator: " ").contains("far above"), "a textbook window edge is drawn where it is")
        #expect(structure.texts.contains("slow start (shaded)") && structure.texts.contains("congestion avoidance (shaded)"))
        #expect(structure.texts.contains { $0.hasPrefix("Congestion window: window up to 16 packets") })

        // A paced sender's rate gets its own axis; a trace without cwnd lines keeps the graph alone.
        let paced = Self.renoTrace.replacingOccurrences(of: "\"pacing_mbps\":null", with: "\"pacing_mbps\":12.500")
        let pacedStructure = try SVGStructure(try TimeSequencePlot(events: TraceFile(parsing: paced).events).render())
        #expect(pacedStructure.groupClasses.contains("series pacing") && pacedStructure.groupClasses.contains("axis y2-axis cwnd"))
        #expect(pacedStructure.texts.contains("pacing (Mbit/s)"))
        let plain = try SVGStructure(try TimeSequencePlot(events: TraceFile(parsing: Self.senderTrace).events).render())
        #expect(!plain.groupClasses.contains("series cwnd") && !plain.groupClasses.contains("legend cwnd"))
    }
}
