/// The chart of a shared-bottleneck run: each flow's goodput over time, with the link rate and
/// the fair share dashed (top), and the queue probe's RTT over time above the base RTT (bottom).
public struct ShareChart {
    public var title: String
    public var subtitle: String
    public var results: ShareResults

    static let width = 900.0
    static let height = 700.0
    static let left = 84.0
    static let right = 640.0
    static let goodputPanel = (top: 70.0, bottom: 370.0)
    static let rttPanel = (top: 440.0, bottom: 630.0)
    /// One colour per flow, in order (then repeated).
    static let colors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2"]

    public init(title: String, subtitle: String, results: ShareResults) {
        self.title = title
        self.subtitle = subtitle
        self.results = results
    }

    /// The width of the goodput bins: about 60 across the run, at least one sample interval.
    static func binWidth(_ results: ShareResults) -> Double {
        let rough = results.duration / 60
        let sample = Double(results.plan.sampleInterval) / 1e9
        let nice = [0.1, 0.2, 0.25, 0.5, 1, 2, 5, 10].first { $0 >= rough } ?? 10
        return max(nice, sample)
    }

    public func render() -> String {
        var svg = SVGDocument(width: Self.width, height: Self.height)
        svg.rect(x: 0, y: 0, width: Self.width, height: Self.height, fill: "#ffffff")
        svg.text(title, x: Self.left, y: 28, size: 17, weight: "bold", role: "title")
        svg.text(subtitle, x: Self.left, y: 48, size: 12, fill: "#555", role: "subtitle")
        let width = Self.binWidth(results)
        let series = results.flows.map { $0.series(binWidth: width, end: results.duration) }
        let timeValues = [0, results.duration]
        drawGoodput(&svg, series: series, times: timeValues)
        drawRTT(&svg, times: timeValues)
        drawLegend(&svg, binWidth: width)
        return svg.text
    }

    private func drawGoodput(_ svg: inout SVGDocument, series: [[(time: Double, mbps: Double)]], times: [Double]) {
        let panel = Self.goodputPanel
        let values = series.flatMap { $0.map(\.mbps) } + [results.linkMbps * 1.05]
        let x = PlotScale(kind: .linear, covering: times, start: Self.left, end: Self.right)
        let y = PlotScale(kind: .linear, covering: values, start: panel.bottom, end: panel.top, includeZero: true)
        svg.text("Goodput of each flow", x: Self.left, y: panel.top - 8, size: 13, weight: "bold", role: "panel-title")
        PlotAxes(left: Self.left, top: panel.top, right: Self.right, bottom: panel.bottom, xTitle: "time (s)",
                 yTitle: "goodput (Mbit/s)", yGridColor: "#e4e4e4", xGridColor: "#efefef", xTitleDrop: 36)
            .draw(&svg, x: x, y: y)
        svg.beginGroup(role: "reference")
        for (level, label) in [(results.linkMbps, "link rate"), (results.fairShare, "fair share")]
        where results.flows.count > 1 || label == "link rate" {
            let position = y.position(level)
            svg.line(x1: Self.left, y1: position, x2: Self.right, y2: position, stroke: "#777", width: 1.2, dash: "6 4")
            svg.text(label, x: Self.right - 4, y: position - 4, size: 10, anchor: .end, fill: "#555")
        }
        svg.endGroup()
        for (index, points) in series.enumerated() {
            svg.beginGroup(role: "series flow \(index + 1)")
            svg.polyline(points.map { (x: x.position($0.time), y: y.position($0.mbps)) }, stroke: color(index), width: 2)
            svg.endGroup()
        }
    }

    private func drawRTT(_ svg: inout SVGDocument, times: [Double]) {
        let panel = Self.rttPanel
        let loaded = results.probe.filter { $0.time >= 0 && $0.time <= results.duration }
        let base = results.queue.base ?? Double(results.plan.delay) * 2 / 1e6
        let full = base + Double(results.plan.fullQueueDelay) / 1e6
        let x = PlotScale(kind: .linear, covering: times, start: Self.left, end: Self.right)
        let y = PlotScale(kind: .linear, covering: loaded.compactMap(\.rtt) + [full * 1.05], start: panel.bottom,
                          end: panel.top, includeZero: true)
        svg.text("Queue probe round-trip time (a UDP ping every \(ReportNumbers.milliseconds(results.plan.probeInterval)) ms)",
                 x: Self.left, y: panel.top - 8, size: 13, weight: "bold", role: "panel-title")
        PlotAxes(left: Self.left, top: panel.top, right: Self.right, bottom: panel.bottom, xTitle: "time (s)",
                 yTitle: "RTT (ms)", yGridColor: "#e4e4e4", xGridColor: "#efefef", xTitleDrop: 36, yTitleGap: 50,
                 roleSuffix: " rtt").draw(&svg, x: x, y: y)
        svg.beginGroup(role: "reference rtt")
        for (level, label) in [(base, "base RTT (idle link)"), (full, "base + full queue")] {
            let position = y.position(level)
            svg.line(x1: Self.left, y1: position, x2: Self.right, y2: position, stroke: "#777", width: 1.2, dash: "6 4")
            svg.text(label, x: Self.right - 4, y: position - 4, size: 10, anchor: .end, fill: "#555")
        }
        svg.endGroup()
        svg.beginGroup(role: "series probe")
        let points = loaded.compactMap { sample in sample.rtt.map { (x: x.position(sample.time), y: y.position($0)) } }
        svg.polyline(points, stroke: "#444", width: 0.8)
        svg.endGroup()
    }

    private func drawLegend(_ svg: inout SVGDocument, binWidth: Double) {
        svg.beginGroup(role: "legend")
        let left = Self.right + 24
        var top = Self.goodputPanel.top + 4
        svg.text("Legend", x: left, y: top, size: 13, weight: "bold")
        top += 20
        for index in results.flows.indices {
            svg.line(x1: left, y1: top - 4, x2: left + 26, y2: top - 4, stroke: color(index), width: 2)
            let start = results.flows[index].start
            svg.text("flow \(index + 1): \(results.label(index))", x: left + 34, y: top, size: 12)
            top += 14
            let share = results.flows.count > 1 ? ", \(ShareReading.percent(results.shares[index])) of the goodput" : ""
            svg.text("from \(ReportNumbers.plain(start, decimals: 1)) s\(share)", x: left + 34, y: top, size: 10, fill: "#666")
            top += 20
        }
        top += 4
        for line in LineChart.wrap("Goodput: bytes the receiver acknowledged, per \(ReportNumbers.plain(binWidth, decimals: 2)) s.", width: 36) {
            svg.text(line, x: left, y: top, size: 11, fill: "#666")
            top += 14
        }
        svg.endGroup()
    }

    private func color(_ index: Int) -> String { Self.colors[index % Self.colors.count] }
}
