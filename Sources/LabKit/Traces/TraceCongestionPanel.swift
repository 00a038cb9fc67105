/// The panel under a sender's time-sequence graph when its trace has `cwnd` lines: the
/// congestion window and slow-start threshold (packets) as step lines over the same time axis,
/// the packets in flight, the pacing rate on a right axis when the sender paced, and each
/// reaction to a loss (●) or a timeout (×) marked on the window line, so NewReno's sawtooth
/// or BBR's gain cycle reads beside the retransmissions that caused it.
struct CongestionPanel {
    var reports: [(time: Double, congestion: TraceEvent.Congestion)]
    /// The step lines, as (time, value) corners, and the reactions.
    var window: [(time: Double, value: Double)] = []
    var threshold: [(time: Double, value: Double)] = []
    var inFlight: [(time: Double, value: Double)] = []
    var pacing: [(time: Double, value: Double)] = []
    var losses: [(time: Double, value: Double)] = []
    var timeouts: [(time: Double, value: Double)] = []
    /// The controller's phases as intervals (slow start, recovery; BBR's startup, drain,
    /// probe_bw, probe_rtt), shaded behind the lines so a phase change reads where it happens.
    var phases: [(start: Double, end: Double, phase: String)] = []

    /// Light tints, one per phase, that the lines stay readable over.
    static let phaseTints: [String: String] = [
        "slow_start": "#fff3d6", "startup": "#fff3d6", "drain": "#fde2e2", "recovery": "#fde2e2",
        "congestion_avoidance": "#eef4fb", "probe_bw": "#eef4fb", "probe_rtt": "#e8f6ee",
    ]

    static let height = 330.0
    static let windowColor = "#0072B2"
    static let thresholdColor = "#D55E00"
    static let inFlightColor = "#999999"
    static let pacingColor = "#009E73"
    static let lossColor = "#D55E00"
    static let timeoutColor = "#CC79A7"

    /// The panel of `events`' cwnd lines within `range`, the lines run on to `end`; nil when there are none.
    init?(_ events: [TraceEvent], range: ClosedRange<Double>?, end: Double) {
        reports = events.compactMap { event in event.congestion.map { (event.time, $0) } }
        guard !reports.isEmpty else { return nil }
        var previous: (window: Double?, threshold: Double?, inFlight: Double?, pacing: Double?)
        let start = range?.lowerBound
        for (time, report) in reports {
            if let range, time > range.upperBound { break }
            if let range, time < range.lowerBound {
                previous = (report.window, report.slowStartThreshold, report.inFlight, report.pacingMbps)
                continue
            }
            TimeSequencePlot.StepLines.step(&window, to: report.window, at: time, previous: &previous.window, rangeStart: start)
            if let value = report.slowStartThreshold {
                TimeSequencePlot.StepLines.step(&threshold, to: value, at: time, previous: &previous.threshold, rangeStart: start)
            }
            TimeSequencePlot.StepLines.step(&inFlight, to: report.inFlight, at: time, previous: &previous.inFlight,
                                            rangeStart: start)
            if let value = report.pacingMbps {
                TimeSequencePlot.StepLines.step(&pacing, to: value, at: time, previous: &previous.pacing, rangeStart: start)
            }
            if let phase = report.phase {
                if let last = phases.last, last.phase == phase {
                    phases[phases.count - 1].end = time
                } else {
                    if !phases.isEmpty { phases[phases.count - 1].end = time }
                    phases.append((max(time, start ?? time), time, phase))
                }
            }
            if report.cause == "loss" { losses.append((time, report.window)) }
            if report.cause == "timeout" { timeouts.append((time, report.window)) }
        }
        if !phases.isEmpty { phases[phases.count - 1].end = max(phases[phases.count - 1].end, min(end, range?.upperBound ?? end)) }
        for keyPath in [\CongestionPanel.window, \.threshold, \.inFlight, \.pacing] {
            if let last = self[keyPath: keyPath].last, end > last.time { self[keyPath: keyPath].append((end, last.value)) }
        }
    }

    /// One line for the panel's heading: what the reports show.
    var summary: String {
        let largest = reports.map(\.congestion.window).max() ?? 0
        let last = reports.last?.congestion.window ?? 0
        var parts = ["window up to \(ReportNumbers.plain(largest, decimals: 1)) packets, "
            + "\(ReportNumbers.plain(last, decimals: 1)) at the end"]
        let reductions = reports.filter { $0.congestion.cause == "loss" }.count
        let expiries = reports.filter { $0.congestion.cause == "timeout" }.count
        parts.append("\(TimeSequencePlot.Counts.count(reductions, "reduction")) on loss, "
            + TimeSequencePlot.Counts.count(expiries, "timeout"))
        if let top = reports.compactMap(\.congestion.pacingMbps).max() {
            parts.append("paced up to \(ReportNumbers.plain(top, decimals: 1)) Mbit/s")
        }
        return parts.joined(separator: "; ")
    }

    /// Draws the panel with its top at `top`, on the time-sequence graph's time scale `x`.
    func draw(_ svg: inout SVGDocument, top: Double, x: PlotScale) {
        let plotTop = top + 40
        let plotBottom = top + Self.height - 60
        let left = TimeSequencePlot.plotLeft
        let right = TimeSequencePlot.plotRight
        svg.text("Congestion window: " + summary, x: left, y: top + 18, size: 13, weight: "bold", role: "subtitle cwnd")
        let values = (window + threshold + inFlight).map(\.value)
        let y = PlotScale(kind: .linear, covering: values, start: plotBottom, end: plotTop, includeZero: true)
        let axes = PlotAxes(left: left, top: plotTop, right: right, bottom: plotBottom, xTitle: "time at the sender (s)",
                            yTitle: "packets", yGridColor: "#ececec", xGridColor: "#f2f2f2", roleSuffix: " cwnd")
        svg.beginGroup(role: "series phases")
        for band in phases where band.end > band.start {
            let from = max(left, x.position(band.start)), to = min(right, x.position(band.end))
            guard to > from else { continue }
            svg.rect(x: from, y: plotTop, width: to - from, height: plotBottom - plotTop,
                     fill: Self.phaseTints[band.phase] ?? "#f2f2f2")
        }
        svg.endGroup()
        axes.draw(&svg, x: x, y: y)
        func points(_ line: [(time: Double, value: Double)], _ scale: PlotScale) -> [(x: Double, y: Double)] {
            line.map { (x: x.position($0.time), y: scale.position($0.value)) }
        }
        svg.beginGroup(role: "series in-flight")
        svg.polyline(points(inFlight, y), stroke: Self.inFlightColor, width: 1)
        svg.endGroup()
        svg.beginGroup(role: "series ssthresh")
        svg.polyline(points(threshold, y), stroke: Self.thresholdColor, width: 1.4, dash: "6 4")
        svg.endGroup()
        svg.beginGroup(role: "series cwnd")
        svg.polyline(points(window, y), stroke: Self.windowColor, width: 2)
        svg.endGroup()
        if !pacing.isEmpty { drawPacing(&svg, x: x, top: plotTop, bottom: plotBottom) }
        svg.beginGroup(role: "series cwnd-loss")
        for mark in losses {
            svg.circle(cx: x.position(mark.time), cy: y.position(mark.value), r: 3.2, fill: Self.lossColor)
        }
        svg.endGroup()
        svg.beginGroup(role: "series cwnd-timeout")
        for mark in timeouts {
            let px = x.position(mark.time)
            let py = y.position(mark.value)
            svg.line(x1: px - 4, y1: py - 4, x2: px + 4, y2: py + 4, stroke: Self.timeoutColor, width: 1.8)
            svg.line(x1: px - 4, y1: py + 4, x2: px + 4, y2: py - 4, stroke: Self.timeoutColor, width: 1.8)
        }
        svg.endGroup()
        drawLegend(&svg, top: plotTop)
    }

    /// The pacing rate as a line against its own axis on the right.
    private func drawPacing(_ svg: inout SVGDocument, x: PlotScale, top: Double, bottom: Double) {
        let right = TimeSequencePlot.plotRight
        let scale = PlotScale(kind: .linear, covering: pacing.map(\.value), start: bottom, end: top, includeZero: true)
        svg.beginGroup(role: "series pacing")
        svg.polyline(pacing.map { (x: x.position($0.time), y: scale.position($0.value)) }, stroke: Self.pacingColor,
                     width: 1.4)
        svg.endGroup()
        svg.beginGroup(role: "axis y2-axis cwnd")
        svg.line(x1: right, y1: top, x2: right, y2: bottom, stroke: Self.pacingColor)
        for tick in scale.ticks {
            let position = scale.position(tick)
            svg.line(x1: right, y1: position, x2: right + 5, y2: position, stroke: Self.pacingColor)
            svg.text(PlotScale.label(tick), x: right + 8, y: position + 4, size: 11, fill: Self.pacingColor)
        }
        svg.text("pacing (Mbit/s)", x: right + 8, y: top - 8, size: 11, fill: Self.pacingColor, role: "axis-label")
        svg.endGroup()
    }

    private func drawLegend(_ svg: inout SVGDocument, top: Double) {
        svg.beginGroup(role: "legend cwnd")
        let left = TimeSequencePlot.plotRight + (pacing.isEmpty ? 24 : 56)
        var y = top + 4
        func entry(_ label: String, glyph: (inout SVGDocument, Double, Double) -> Void) {
            glyph(&svg, left + 13, y - 4)
            svg.text(label, x: left + 34, y: y, size: 12)
            y += 20
        }
        func line(_ color: String, _ width: Double, dash: String? = nil) -> (inout SVGDocument, Double, Double) -> Void {
            { svg, x, y in svg.line(x1: x - 13, y1: y, x2: x + 13, y2: y, stroke: color, width: width, dash: dash) }
        }
        entry("congestion window", glyph: line(Self.windowColor, 2))
        if !threshold.isEmpty { entry("slow-start threshold", glyph: line(Self.thresholdColor, 1.4, dash: "6 4")) }
        entry("in flight", glyph: line(Self.inFlightColor, 1))
        if !pacing.isEmpty { entry("pacing rate (right)", glyph: line(Self.pacingColor, 1.4)) }
        entry("reduction on loss", glyph: { svg, x, y in svg.circle(cx: x, cy: y, r: 3.2, fill: Self.lossColor) })
        entry("timeout", glyph: { svg, x, y in
            svg.line(x1: x - 4, y1: y - 4, x2: x + 4, y2: y + 4, stroke: Self.timeoutColor, width: 1.8)
            svg.line(x1: x - 4, y1: y + 4, x2: x + 4, y2: y - 4, stroke: Self.timeoutColor, width: 1.8)
        })
        // The phases shaded, in the order they first appear.
        var named: [String] = []
        for band in phases where !named.contains(band.phase) { named.append(band.phase) }
        for phase in named {
            entry(phase.replacingOccurrences(of: "_", with: " ") + " (shaded)", glyph: { svg, x, y in
                svg.rect(x: x - 13, y: y - 6, width: 26, height: 12, fill: Self.phaseTints[phase] ?? "#f2f2f2", stroke: "#cccccc")
            })
        }
        svg.endGroup()
    }
}
