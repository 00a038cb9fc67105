/// The frame a chart draws under its data: grid lines at the ticks, then an x and a y axis with
/// tick marks, tick labels and titles, so every chart of the lab reads the same way.
struct PlotAxes {
    /// The plot area in pixels.
    var left, top, right, bottom: Double
    var xTitle, yTitle: String
    /// The grid lines across the plot at the y ticks, and up it at the x ticks; charts differ
    /// in how faint they want them.
    var yGridColor: String
    var xGridColor: String
    /// How far below the plot the x title's baseline sits.
    var xTitleDrop = 42.0
    /// How far left of the plot the rotated y title's centre sits: clear of the widest tick label.
    var yTitleGap = 60.0
    /// Added to every group's role, telling apart the panels of one document (" tail").
    var roleSuffix = ""

    /// Draws the grid, the x axis and the y axis, each in its own group.
    func draw(_ svg: inout SVGDocument, x: PlotScale, y: PlotScale) {
        svg.beginGroup(role: "grid" + roleSuffix)
        for tick in y.ticks {
            let position = y.position(tick)
            svg.line(x1: left, y1: position, x2: right, y2: position, stroke: yGridColor)
        }
        for tick in x.ticks {
            let position = x.position(tick)
            svg.line(x1: position, y1: top, x2: position, y2: bottom, stroke: xGridColor)
        }
        svg.endGroup()

        svg.beginGroup(role: "axis x-axis" + roleSuffix)
        svg.line(x1: left, y1: bottom, x2: right, y2: bottom, stroke: "#333")
        for tick in x.ticks {
            let position = x.position(tick)
            svg.line(x1: position, y1: bottom, x2: position, y2: bottom + 5, stroke: "#333")
            svg.text(PlotScale.label(tick), x: position, y: bottom + 19, size: 11, anchor: .middle)
        }
        svg.text(xTitle, x: (left + right) / 2, y: bottom + xTitleDrop, size: 13, anchor: .middle, role: "axis-label")
        svg.endGroup()

        svg.beginGroup(role: "axis y-axis" + roleSuffix)
        svg.line(x1: left, y1: top, x2: left, y2: bottom, stroke: "#333")
        for tick in y.ticks {
            let position = y.position(tick)
            svg.line(x1: left - 5, y1: position, x2: left, y2: position, stroke: "#333")
            svg.text(PlotScale.label(tick), x: left - 8, y: position + 4, size: 11, anchor: .end)
        }
        svg.text(yTitle, x: left - yTitleGap, y: (top + bottom) / 2, size: 13, anchor: .middle, rotation: -90,
                 role: "axis-label")
        svg.endGroup()
    }
}
