/// One measured point of a chart: the mean over repeats and the min–max range.
public struct ChartPoint: Sendable, Equatable {
    public var x: Double
    public var mean: Double
    public var low: Double
    public var high: Double

    public init(x: Double, mean: Double, low: Double, high: Double) {
        self.x = x
        self.mean = mean
        self.low = low
        self.high = high
    }
}

/// One protocol on a chart: measured points (solid, with min–max bars) and its model (dashed).
public struct ChartSeries: Sendable {
    public var name: String
    public var color: String
    public var points: [ChartPoint]
    /// The model evaluated along the x axis; drawn dashed in the series' colour.
    public var model: [(x: Double, y: Double)]
    /// The model's name for the legend.
    public var modelName: String

    public init(name: String, color: String, points: [ChartPoint], model: [(x: Double, y: Double)], modelName: String) {
        self.name = name
        self.color = color
        self.points = points
        self.model = model
        self.modelName = modelName
    }
}

/// A line chart of measurements against a model, drawn with `SVGDocument`: title, axes with
/// ticks and units, grid, min–max bars, dashed model lines and a legend.
public struct LineChart {
    public var title: String
    public var subtitle: String
    public var xLabel: String
    public var yLabel: String
    public var xKind: PlotScale.Kind
    /// nil chooses: logarithmic when the values span more than a factor of 30.
    public var yKind: PlotScale.Kind?
    public var series: [ChartSeries]
    /// Notes printed under the legend (protocols not measured, failed runs).
    public var notes: [String] = []

    static let width = 900.0
    static let height = 520.0
    static let plotLeft = 84.0
    static let plotTop = 64.0
    static let plotRight = 640.0
    static let plotBottom = 450.0

    public init(title: String, subtitle: String, xLabel: String, yLabel: String, xKind: PlotScale.Kind,
                yKind: PlotScale.Kind? = nil, series: [ChartSeries]) {
        self.title = title
        self.subtitle = subtitle
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.xKind = xKind
        self.yKind = yKind
        self.series = series
    }

    /// The y scale kind used: the given one, or log when the positive values span > 30×.
    public var effectiveYKind: PlotScale.Kind {
        if let yKind { return yKind }
        let values = allYValues.filter { $0 > 0 && $0.isFinite }
        guard let low = values.min(), let high = values.max(), low > 0 else { return .linear }
        return high / low > 30 ? .log(base: 10) : .linear
    }

    private var allYValues: [Double] {
        series.flatMap { $0.points.flatMap { [$0.low, $0.high, $0.mean] } + $0.model.map(\.y) }
    }

    /// The chart as an SVG document.
    public func render() -> String {
        var svg = SVGDocument(width: Self.width, height: Self.height)
        svg.rect(x: 0, y: 0, width: Self.width, height: Self.height, fill: "#ffffff")
        svg.text(title, x: Self.plotLeft, y: 28, size: 17, weight: "bold", role: "title")
        svg.text(subtitle, x: Self.plotLeft, y: 48, size: 12, fill: "#555", role: "subtitle")

        let xValues = series.flatMap { $0.points.map(\.x) + $0.model.map(\.x) }
        let xScale = PlotScale(kind: xKind, covering: xValues, start: Self.plotLeft, end: Self.plotRight)
        let yKind = effectiveYKind
        let yScale = PlotScale(kind: yKind, covering: allYValues, start: Self.plotBottom, end: Self.plotTop,
                               includeZero: yKind == .linear)
        drawAxes(&svg, x: xScale, y: yScale)
        for entry in series { drawSeries(&svg, entry, x: xScale, y: yScale) }
        drawLegend(&svg)
        return svg.text
    }

    private func drawAxes(_ svg: inout SVGDocument, x: PlotScale, y: PlotScale) {
        let axes = PlotAxes(left: Self.plotLeft, top: Self.plotTop, right: Self.plotRight, bottom: Self.plotBottom,
                            xTitle: x.kind == .linear ? xLabel : Self.logScaleTitle(xLabel),
                            yTitle: y.kind == .linear ? yLabel : Self.logScaleTitle(yLabel),
                            yGridColor: "#e4e4e4", xGridColor: "#efefef")
        axes.draw(&svg, x: x, y: y)
    }

    private func drawSeries(_ svg: inout SVGDocument, _ entry: ChartSeries, x: PlotScale, y: PlotScale) {
        svg.beginGroup(role: "series model \(entry.name)")
        let model = entry.model.filter { x.canShow($0.x) && y.canShow($0.y) }
            .map { (x: x.position($0.x), y: y.position($0.y)) }
        svg.polyline(model, stroke: entry.color, width: 1.6, dash: "7 5")
        svg.endGroup()

        svg.beginGroup(role: "series measured \(entry.name)")
        let points = entry.points.filter { x.canShow($0.x) && y.canShow($0.mean) }.sorted { $0.x < $1.x }
        svg.polyline(points.map { (x: x.position($0.x), y: y.position($0.mean)) }, stroke: entry.color, width: 2)
        for point in points {
            let px = x.position(point.x)
            if point.high > point.low, y.canShow(point.low) {
                let top = y.position(point.high)
                let bottom = y.position(point.low)
                svg.line(x1: px, y1: top, x2: px, y2: bottom, stroke: entry.color, width: 1.4)
                svg.line(x1: px - 4, y1: top, x2: px + 4, y2: top, stroke: entry.color, width: 1.4)
                svg.line(x1: px - 4, y1: bottom, x2: px + 4, y2: bottom, stroke: entry.color, width: 1.4)
            }
            svg.circle(cx: px, cy: y.position(point.mean), r: 3.6, fill: entry.color, stroke: "#ffffff")
        }
        svg.endGroup()
    }

    private func drawLegend(_ svg: inout SVGDocument) {
        svg.beginGroup(role: "legend")
        let left = Self.plotRight + 24
        var top = Self.plotTop + 4
        svg.text("Legend", x: left, y: top, size: 13, weight: "bold")
        top += 20
        for entry in series {
            svg.line(x1: left, y1: top - 4, x2: left + 26, y2: top - 4, stroke: entry.color, width: 2)
            svg.circle(cx: left + 13, cy: top - 4, r: 3.6, fill: entry.color, stroke: "#ffffff")
            svg.text("\(entry.name) measured (mean, min–max)", x: left + 34, y: top, size: 12)
            top += 18
            if !entry.model.isEmpty {
                svg.line(x1: left, y1: top - 4, x2: left + 26, y2: top - 4, stroke: entry.color, width: 1.6, dash: "7 5")
                svg.text("\(entry.name) model", x: left + 34, y: top, size: 12)
                for line in Self.wrap(entry.modelName, width: 34) {
                    top += 14
                    svg.text(line, x: left + 34, y: top, size: 10, fill: "#666")
                }
                top += 18
            } else {
                top += 4
            }
        }
        for note in notes {
            top += 4
            for line in Self.wrap(note, width: 36) {
                svg.text(line, x: left, y: top, size: 11, fill: "#666")
                top += 14
            }
        }
        svg.endGroup()
    }

    /// Splits `text` into lines of at most `width` characters at spaces.
    static func wrap(_ text: String, width: Int) -> [String] {
        var lines: [String] = []
        var current = ""
        for word in text.split(separator: " ") {
            if !current.isEmpty && current.count + 1 + word.count > width {
                lines.append(current)
                current = ""
            }
            current += (current.isEmpty ? "" : " ") + word
        }
        if !current.isEmpty { lines.append(current) }
        return lines
    }

    /// "one-way delay (ms)" on a log axis reads "one-way delay (ms, log scale)", not "(ms) (log scale)".
    static func logScaleTitle(_ label: String) -> String {
        label.hasSuffix(")") ? label.dropLast() + ", log scale)" : label + " (log scale)"
    }
}
