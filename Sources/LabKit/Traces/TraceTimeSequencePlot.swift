import CLIKit

/// A tcptrace-style time-sequence graph of one traced transfer: packet index (the sequence,
/// counted in packets) against time. From a sender's trace: each first transmission as a black
/// tick spanning its packet, each retransmission in red, timeouts and fast retransmits marked,
/// the cumulative ACK as a green step line and the receiver's window edge as an orange one.
/// From a receiver's trace: arrivals (out-of-order in blue, duplicates in red) and the ACKs it
/// sent with their window edge. A sender's trace with `cwnd` lines (a congestion controller)
/// gets a second panel under the graph: the congestion window over the same time axis.
public struct TimeSequencePlot {
    /// Which side of the transfer the trace was written by.
    public enum Side: String, Sendable {
        case sender
        case receiver
    }

    public let events: [TraceEvent]
    public let side: Side
    public var title: String
    public var subtitle: String
    /// Only events in this time range (seconds) are drawn; nil draws everything.
    public var timeRange: ClosedRange<Double>?

    /// More marks than this of one kind are thinned to every n-th, so a huge trace still
    /// renders; the subtitle says so.
    public static let maximumMarks = 30_000

    static let width = 1_000.0
    static let height = 600.0
    static let plotLeft = 84.0
    static let plotTop = 70.0
    static let plotRight = 760.0
    static let plotBottom = 530.0

    /// Colours (Okabe & Ito, colour-blind safe).
    static let originalColor = "#000000"
    static let retransmitColor = "#D55E00"
    static let ackColor = "#009E73"
    /// Sky blue, far in hue from the vermillion retransmissions it runs beside (orange was not).
    static let windowColor = "#56B4E9"
    static let timeoutColor = "#CC79A7"
    static let fastRetransmitColor = "#0072B2"

    /// A plot of `events` (one connection's); the side is found from the events.
    public init(events: [TraceEvent], title: String? = nil, timeRange: ClosedRange<Double>? = nil) throws {
        let side: Side
        if events.contains(where: { $0.kind == .send || $0.kind == .retransmit }) {
            side = .sender
        } else if events.contains(where: { $0.kind == .receive }) {
            side = .receiver
        } else {
            throw TraceError("the trace holds no send or receive events to draw")
        }
        self.events = events
        self.side = side
        self.timeRange = timeRange
        let start = events.first { $0.kind == .start }
        self.title = title ?? Self.defaultTitle(start: start, side: side)
        subtitle = ""
        subtitle = counts.description
    }

    /// What the trace shows, counted (for the subtitle and the command's summary line).
    public struct Counts: Sendable, Equatable, CustomStringConvertible {
        public var side: Side
        public var packets = 0
        public var transmissions = 0
        public var retransmissions = 0
        public var timeouts = 0
        public var fastRetransmits = 0
        public var duplicates = 0
        public var outOfOrder = 0
        public var seconds = 0.0

        public var description: String {
            let duration = "\(ReportNumbers.plain(seconds, decimals: 3)) s"
            switch side {
            case .sender:
                return "\(Self.count(packets, "packet")), \(Self.count(retransmissions, "retransmission")) "
                    + "(\(Self.count(timeouts, "timeout")), \(Self.count(fastRetransmits, "fast retransmit"))), \(duration)"
            case .receiver:
                return "\(Self.count(packets, "packet")) received, \(outOfOrder) out of order, "
                    + "\(Self.count(duplicates, "duplicate")), \(duration)"
            }
        }

        /// `1 timeout`, `3 timeouts`.
        static func count(_ value: Int, _ noun: String) -> String {
            "\(value) \(noun)\(value == 1 ? "" : "s")"
        }
    }

    public var counts: Counts {
        var counts = Counts(side: side)
        var highest = -1
        for event in events {
            counts.seconds = max(counts.seconds, event.time)
            switch event.kind {
            case .send:
                counts.transmissions += 1
                highest = max(highest, event.index ?? -1)
            case .retransmit:
                counts.transmissions += 1
                counts.retransmissions += 1
            case .timeout: counts.timeouts += 1
            case .fastRetransmit: counts.fastRetransmits += 1
            case .receive:
                if event.duplicate { counts.duplicates += 1 } else { highest = max(highest, event.index ?? -1) }
                if event.outOfOrder { counts.outOfOrder += 1 }
            default: break
            }
        }
        counts.packets = highest + 1
        return counts
    }

    static func defaultTitle(start: TraceEvent?, side: Side) -> String {
        var parts: [String] = []
        if let name = start?.fields["protocol"]?.stringValue {
            parts.append(LabProtocol(rawValue: name)?.title ?? name)
        }
        if let window = start?.fields["window"]?.intValue { parts.append("window \(window)") }
        if let mss = start?.fields["mss"]?.intValue { parts.append("\(mss)-byte packets") }
        let what = side == .sender ? "Time-sequence graph (sender)" : "Time-sequence graph (receiver)"
        return parts.isEmpty ? what : what + ": " + parts.joined(separator: ", ")
    }

    /// The graph as an SVG document.
    public func render() -> String {
        let shown = events.filter { event in timeRange.map { $0.contains(event.time) } ?? true }
        let marks = MarkSets(shown, side: side)
        let lines = StepLines(events, side: side, range: timeRange)

        var xValues = shown.map(\.time)
        if let timeRange {
            // An open end (--from alone) stops at the last event.
            xValues += [timeRange.lowerBound, min(timeRange.upperBound, events.last?.time ?? timeRange.lowerBound)]
        } else {
            xValues.append(0)
        }
        var yValues = marks.allIndices.flatMap { [Double($0), Double($0 + 1)] }
        yValues += lines.acknowledged.map(\.value)
        // A controlled sender's receive window (16,384 packets) can stand far above what it ever
        // sends: scaled to it, the data would be a flat line at the bottom. Then the edge is
        // drawn at the top of the graph, and the legend says how far up it was.
        let dataTop = yValues.max() ?? 0
        let edgeTop = lines.windowEdge.map(\.value).max() ?? 0
        let edgeAbove = edgeTop > 2 * dataTop + 64 ? edgeTop : nil
        if edgeAbove == nil { yValues += lines.windowEdge.map(\.value) }
        let xScale = PlotScale(kind: .linear, covering: xValues, start: Self.plotLeft, end: Self.plotRight)
        let yScale = PlotScale(kind: .linear, covering: yValues.isEmpty ? [0, 1] : yValues, start: Self.plotBottom,
                               end: Self.plotTop, includeZero: timeRange == nil)

        let end = min(timeRange?.upperBound ?? .infinity, events.last?.time ?? 0)
        let panel = side == .sender ? CongestionPanel(events, range: timeRange, end: end) : nil
        let height = Self.height + (panel == nil ? 0 : CongestionPanel.height)
        var svg = SVGDocument(width: Self.width, height: height)
        svg.rect(x: 0, y: 0, width: Self.width, height: height, fill: "#ffffff")
        svg.text(title, x: Self.plotLeft, y: 28, size: 17, weight: "bold", role: "title")
        var subtitleText = subtitle
        if marks.thinning > 1 { subtitleText += "; every \(marks.thinning)th first transmission drawn" }
        if let timeRange {
            let end = min(timeRange.upperBound, events.last?.time ?? 0)
            subtitleText += "; showing \(ReportNumbers.plain(timeRange.lowerBound, decimals: 3))–"
                + "\(ReportNumbers.plain(end, decimals: 3)) s"
        }
        svg.text(subtitleText, x: Self.plotLeft, y: 50, size: 12, fill: "#555", role: "subtitle")
        drawAxes(&svg, x: xScale, y: yScale)
        drawLines(&svg, lines, x: xScale, y: yScale)
        drawMarks(&svg, marks, x: xScale, y: yScale)
        drawLegend(&svg, marks: marks, edgeAbove: edgeAbove)
        panel?.draw(&svg, top: Self.height, x: xScale)
        return svg.text
    }

    // MARK: Data

    /// The packet marks to draw, split by kind.
    struct MarkSets {
        var firsts: [(time: Double, index: Int)] = []
        var again: [(time: Double, index: Int)] = []
        var outOfOrder: [(time: Double, index: Int)] = []
        var timeouts: [(time: Double, index: Int)] = []
        var fastRetransmits: [(time: Double, index: Int)] = []
        var thinning = 1

        init(_ events: [TraceEvent], side: Side) {
            for event in events {
                guard let index = event.index else { continue }
                let mark = (event.time, index)
                switch (side, event.kind) {
                case (.sender, .send): firsts.append(mark)
                case (.sender, .retransmit): again.append(mark)
                case (.sender, .timeout): timeouts.append(mark)
                case (.sender, .fastRetransmit): fastRetransmits.append(mark)
                case (.receiver, .receive):
                    if event.duplicate { again.append(mark) } else if event.outOfOrder { outOfOrder.append(mark) } else {
                        firsts.append(mark)
                    }
                default: break
                }
            }
            if firsts.count > TimeSequencePlot.maximumMarks {
                thinning = (firsts.count + TimeSequencePlot.maximumMarks - 1) / TimeSequencePlot.maximumMarks
                firsts = firsts.enumerated().filter { $0.offset % thinning == 0 }.map(\.element)
            }
        }

        var allIndices: [Int] {
            (firsts + again + outOfOrder + timeouts + fastRetransmits).map(\.index)
        }
    }

    /// The ACK and window-edge step lines, as (time, value) corners.
    struct StepLines {
        var acknowledged: [(time: Double, value: Double)] = []
        var windowEdge: [(time: Double, value: Double)] = []

        init(_ events: [TraceEvent], side: Side, range: ClosedRange<Double>?) {
            let kinds: Set<TraceEvent.Kind> = side == .sender ? [.ack, .sack] : [.ackSent]
            var lastAcknowledged: Double?
            var lastEdge: Double?
            for event in events where kinds.contains(event.kind) {
                guard let cumulative = event.cumulative, let edge = event.windowEdge else { continue }
                if let range, event.time > range.upperBound { break }
                if let range, event.time < range.lowerBound {
                    lastAcknowledged = Double(cumulative)
                    lastEdge = Double(edge)
                    continue
                }
                let start = range?.lowerBound
                Self.step(&acknowledged, to: Double(cumulative), at: event.time, previous: &lastAcknowledged, rangeStart: start)
                Self.step(&windowEdge, to: Double(edge), at: event.time, previous: &lastEdge, rangeStart: start)
            }
            // A zoom with no acknowledgement inside still shows the values reached before it.
            if let start = range?.lowerBound {
                if acknowledged.isEmpty, let value = lastAcknowledged { acknowledged.append((start, value)) }
                if windowEdge.isEmpty, let value = lastEdge { windowEdge.append((start, value)) }
            }
            // The lines run on to the last event drawn.
            let end = min(range?.upperBound ?? .infinity, events.last?.time ?? 0)
            if let value = acknowledged.last?.value, let last = acknowledged.last?.time, end > last {
                acknowledged.append((end, value))
            }
            if let value = windowEdge.last?.value, let last = windowEdge.last?.time, end > last {
                windowEdge.append((end, value))
            }
        }

        /// Adds the corners of a step to `value` at `time` (nothing when the value is unchanged).
        static func step(_ line: inout [(time: Double, value: Double)], to value: Double, at time: Double,
                         previous: inout Double?, rangeStart: Double?) {
            if line.isEmpty, let before = previous, let rangeStart { line.append((rangeStart, before)) }
            guard value != previous else { return }
            if let before = previous { line.append((time, before)) }
            line.append((time, value))
            previous = value
        }
    }

    // MARK: Drawing

    private func drawAxes(_ svg: inout SVGDocument, x: PlotScale, y: PlotScale) {
        let axes = PlotAxes(left: Self.plotLeft, top: Self.plotTop, right: Self.plotRight, bottom: Self.plotBottom,
                            xTitle: side == .sender ? "time at the sender (s)" : "time at the receiver (s)",
                            yTitle: "sequence (packet index)", yGridColor: "#ececec", xGridColor: "#f2f2f2")
        axes.draw(&svg, x: x, y: y)
    }

    private func drawLines(_ svg: inout SVGDocument, _ lines: StepLines, x: PlotScale, y: PlotScale) {
        svg.beginGroup(role: "series window-edge")
        svg.polyline(lines.windowEdge.map { (x: x.position($0.time), y: y.position(min($0.value, y.upper))) },
                     stroke: Self.windowColor, width: 1.6)
        svg.endGroup()
        svg.beginGroup(role: "series ack")
        svg.polyline(lines.acknowledged.map { (x: x.position($0.time), y: y.position($0.value)) },
                     stroke: Self.ackColor, width: 1.6)
        svg.endGroup()
    }

    private func drawMarks(_ svg: inout SVGDocument, _ marks: MarkSets, x: PlotScale, y: PlotScale) {
        func ticks(_ list: [(time: Double, index: Int)], color: String, width: Double, role: String) {
            svg.beginGroup(role: role)
            for mark in list {
                let px = x.position(mark.time)
                let bottom = y.position(Double(mark.index))
                // At least 3 px tall, so one packet stays visible on a long transfer.
                let top = min(y.position(Double(mark.index + 1)), bottom - 3)
                svg.line(x1: px, y1: bottom, x2: px, y2: top, stroke: color, width: width)
            }
            svg.endGroup()
        }
        ticks(marks.firsts, color: Self.originalColor, width: 1.2,
              role: side == .sender ? "series send" : "series receive")
        ticks(marks.outOfOrder, color: Self.fastRetransmitColor, width: 1.4, role: "series out-of-order")
        ticks(marks.again, color: Self.retransmitColor, width: 2.2,
              role: side == .sender ? "series retransmit" : "series duplicate")
        if !marks.again.isEmpty && marks.again.count <= 2_000 {
            svg.beginGroup(role: side == .sender ? "series retransmit-dot" : "series duplicate-dot")
            for mark in marks.again {
                svg.circle(cx: x.position(mark.time), cy: y.position(Double(mark.index) + 0.5), r: 2.4,
                           fill: Self.retransmitColor)
            }
            svg.endGroup()
        }
        svg.beginGroup(role: "series timeout")
        for mark in marks.timeouts {
            let px = x.position(mark.time)
            let py = y.position(Double(mark.index) + 0.5)
            svg.line(x1: px - 4, y1: py - 4, x2: px + 4, y2: py + 4, stroke: Self.timeoutColor, width: 1.8)
            svg.line(x1: px - 4, y1: py + 4, x2: px + 4, y2: py - 4, stroke: Self.timeoutColor, width: 1.8)
        }
        svg.endGroup()
        svg.beginGroup(role: "series fast-retransmit")
        for mark in marks.fastRetransmits {
            svg.circle(cx: x.position(mark.time), cy: y.position(Double(mark.index) + 0.5), r: 4.5, fill: "none",
                       stroke: Self.fastRetransmitColor)
        }
        svg.endGroup()
    }

    private func drawLegend(_ svg: inout SVGDocument, marks: MarkSets, edgeAbove: Double? = nil) {
        svg.beginGroup(role: "legend")
        let left = Self.plotRight + 24
        var top = Self.plotTop + 4
        svg.text("Legend", x: left, y: top, size: 13, weight: "bold")
        top += 22
        func entry(_ label: String, note: String? = nil, glyph: (inout SVGDocument, Double, Double) -> Void) {
            glyph(&svg, left + 13, top - 4)
            svg.text(label, x: left + 34, y: top, size: 12)
            if let note {
                for line in LineChart.wrap(note, width: 30) {
                    top += 14
                    svg.text(line, x: left + 34, y: top, size: 10, fill: "#666")
                }
            }
            top += 22
        }
        func tick(_ color: String, _ width: Double) -> (inout SVGDocument, Double, Double) -> Void {
            { svg, x, y in svg.line(x1: x, y1: y + 7, x2: x, y2: y - 7, stroke: color, width: width) }
        }
        func line(_ color: String) -> (inout SVGDocument, Double, Double) -> Void {
            { svg, x, y in svg.line(x1: x - 13, y1: y, x2: x + 13, y2: y, stroke: color, width: 2) }
        }
        switch side {
        case .sender:
            entry("first transmission", note: "one tick per packet, spanning its place in the sequence",
                  glyph: tick(Self.originalColor, 1.2))
            entry("retransmission", glyph: { svg, x, y in
                svg.line(x1: x, y1: y + 7, x2: x, y2: y - 7, stroke: Self.retransmitColor, width: 2.2)
                svg.circle(cx: x, cy: y, r: 2.4, fill: Self.retransmitColor)
            })
            entry("timeout (RTO expired)", glyph: { svg, x, y in
                svg.line(x1: x - 4, y1: y - 4, x2: x + 4, y2: y + 4, stroke: Self.timeoutColor, width: 1.8)
                svg.line(x1: x - 4, y1: y + 4, x2: x + 4, y2: y - 4, stroke: Self.timeoutColor, width: 1.8)
            })
            entry("fast retransmit", note: "three later packets acknowledged", glyph: { svg, x, y in
                svg.circle(cx: x, cy: y, r: 4.5, fill: "none", stroke: Self.fastRetransmitColor)
            })
            entry("cumulative ACK", note: "every packet below the line acknowledged", glyph: line(Self.ackColor))
            entry("window edge", note: edgeAbove.map { "the sender may not send at or above it; up to packet "
                      + "\(Int($0)), far above the data, so drawn along the top" } ?? "the sender may not send at or above it",
                  glyph: line(Self.windowColor))
        case .receiver:
            entry("packet arrived in order", glyph: tick(Self.originalColor, 1.2))
            entry("arrived after a gap", glyph: tick(Self.fastRetransmitColor, 1.4))
            entry("duplicate", note: "a packet that had already arrived", glyph: tick(Self.retransmitColor, 2.2))
            entry("cumulative ACK sent", glyph: line(Self.ackColor))
            entry("window edge advertised", note: edgeAbove.map { "up to packet \(Int($0)), far above the data, so drawn "
                      + "along the top" }, glyph: line(Self.windowColor))
        }
        svg.endGroup()
    }
}
