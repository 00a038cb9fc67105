/// The latency CDF of `why-udp`: for each transport, the share of all messages written that
/// reached the receiving application within a given latency (log scale). Lost messages never
/// arrive, so a lossy transport's curve stops below 100%. Two panels: the whole distribution,
/// and its top 10% magnified, where head-of-line blocking shows.
public struct WhyUDPLatencyChart {
    public var title: String
    public var subtitle: String
    public var streams: [MessageStreamResult]

    static let width = 1_000.0
    static let height = 600.0
    static let top = 88.0
    static let bottom = 448.0
    static let panels: [(left: Double, right: Double)] = [(84, 470), (574, 960)]
    /// The magnified panel's lower bound, in percent.
    static let tailFloor = 90.0

    public init(title: String, subtitle: String, streams: [MessageStreamResult]) {
        self.title = title
        self.subtitle = subtitle
        self.streams = streams
    }

    /// The step corners of one stream's CDF, in (latency ms, percent of messages written).
    static func curve(_ stream: MessageStreamResult) -> [(x: Double, y: Double)] {
        guard stream.messages > 0, let first = stream.delivered.first else { return [] }
        var points: [(x: Double, y: Double)] = [(first, 0)]
        var arrived = 0
        var index = 0
        let delivered = stream.delivered
        while index < delivered.count {
            let value = delivered[index]
            while index < delivered.count && delivered[index] == value {
                arrived += 1
                index += 1
            }
            let before = points.last!.y
            if points.last!.x != value { points.append((value, before)) }
            points.append((value, Double(arrived) * 100 / Double(stream.messages)))
        }
        return points
    }

    static func dash(_ transport: WhyUDPTransport) -> String? {
        transport == .udp ? "7 4" : nil
    }

    public func render() -> String {
        let measured = streams.filter { $0.notMeasured == nil && !$0.delivered.isEmpty }
        let latencies = measured.flatMap { [$0.delivered.first!, $0.delivered.last!] }
        let xValues = latencies.isEmpty ? [1.0, 100] : latencies
        var svg = SVGDocument(width: Self.width, height: Self.height)
        svg.rect(x: 0, y: 0, width: Self.width, height: Self.height, fill: "#ffffff")
        svg.text(title, x: Self.panels[0].left, y: 28, size: 17, weight: "bold", role: "title")
        svg.text(subtitle, x: Self.panels[0].left, y: 48, size: 12, fill: "#555", role: "subtitle")

        for (number, panel) in Self.panels.enumerated() {
            let floor = number == 0 ? 0 : Self.tailFloor
            let x = PlotScale(kind: .log(base: 10), covering: xValues, start: panel.left, end: panel.right)
            let y = PlotScale(kind: .linear, covering: [floor, 100], start: Self.bottom, end: Self.top)
            let heading = number == 0 ? "All messages" : "The slowest 10%, magnified"
            svg.text(heading, x: panel.left, y: Self.top - 8, size: 13, weight: "bold", role: "panel-title")
            drawAxes(&svg, x: x, y: y, panel: panel, role: number == 0 ? "" : " tail")
            if number == 1 {
                svg.beginGroup(role: "p99")
                let level = y.position(99)
                svg.line(x1: panel.left, y1: level, x2: panel.right, y2: level, stroke: "#888", width: 1, dash: "3 3")
                svg.text("99th percentile", x: panel.right - 4, y: level + 12, size: 10, anchor: .end, fill: "#666")
                svg.endGroup()
            }
            // UDP last and dashed: where it runs along another curve (every message that arrived
            // at once), both stay visible.
            for stream in measured.sorted(by: { ($0.transport == .udp ? 1 : 0) < ($1.transport == .udp ? 1 : 0) }) {
                svg.beginGroup(role: "series \(stream.transport.rawValue)" + (number == 0 ? "" : " tail"))
                let points = Self.curve(stream)
                var drawn = points.map { (x: x.position($0.x), y: y.position(max($0.y, floor))) }
                // Each curve runs on flat to the right edge: nothing arrives later.
                if let last = drawn.last { drawn.append((x: panel.right, y: last.y)) }
                svg.polyline(drawn, stroke: stream.transport.color, width: stream.transport == .udp ? 2.6 : 2,
                             dash: Self.dash(stream.transport))
                svg.endGroup()
            }
        }
        drawLegend(&svg)
        return svg.text
    }

    private func drawAxes(_ svg: inout SVGDocument, x: PlotScale, y: PlotScale, panel: (left: Double, right: Double),
                          role: String) {
        let axes = PlotAxes(left: panel.left, top: Self.top, right: panel.right, bottom: Self.bottom,
                            xTitle: "latency (ms, log scale)", yTitle: "messages arrived within (%)",
                            yGridColor: "#e8e8e8", xGridColor: "#f0f0f0", xTitleDrop: 40, yTitleGap: 50,
                            roleSuffix: role)
        axes.draw(&svg, x: x, y: y)
    }

    private func drawLegend(_ svg: inout SVGDocument) {
        svg.beginGroup(role: "legend")
        let left = Self.panels[0].left
        var top = Self.bottom + 74
        svg.text("Legend", x: left, y: top, size: 13, weight: "bold")
        top += 20
        for (position, stream) in streams.enumerated() {
            let column = left + Double(position % 2) * 440
            let row = top + Double(position / 2) * 20
            var label = stream.transport.title
            if let reason = stream.notMeasured {
                // "TCP is not measured on sim: why…" reads "TCP is not measured on sim" in the legend.
                let headline = reason.prefix { $0 != ":" }
                label = headline.hasPrefix(label) ? String(headline) : label + ": not measured"
                svg.line(x1: column, y1: row - 4, x2: column + 26, y2: row - 4, stroke: "#bbb", width: 2, dash: "2 3")
            } else {
                if stream.lost > 0 {
                    let share = Double(stream.lost) * 100 / Double(max(stream.messages, 1))
                    label += ": \(ReportNumbers.plain(share, decimals: 1))% lost, the curve ends below 100%"
                } else {
                    label += ": every message delivered"
                }
                svg.line(x1: column, y1: row - 4, x2: column + 26, y2: row - 4, stroke: stream.transport.color,
                         width: stream.transport == .udp ? 2.6 : 2, dash: Self.dash(stream.transport))
            }
            svg.text(label, x: column + 34, y: row, size: 12)
        }
        svg.endGroup()
    }
}
