/// A minimal SVG writer: shapes and text appended in drawing order, serialized as one
/// standalone document. Every attribute value and text is XML-escaped.
public struct SVGDocument {
    public let width: Double
    public let height: Double
    private var elements: [String] = []

    public init(width: Double, height: Double) {
        self.width = width
        self.height = height
    }

    /// A straight line; `dash` is an SVG dash pattern such as "6 4".
    public mutating func line(x1: Double, y1: Double, x2: Double, y2: Double, stroke: String,
                              width: Double = 1, dash: String? = nil) {
        var attributes = [("x1", number(x1)), ("y1", number(y1)), ("x2", number(x2)), ("y2", number(y2)),
                          ("stroke", stroke), ("stroke-width", number(width))]
        if let dash { attributes.append(("stroke-dasharray", dash)) }
        element("line", attributes)
    }

    /// A connected line through `points`.
    public mutating func polyline(_ points: [(x: Double, y: Double)], stroke: String, width: Double = 1.5,
                                  dash: String? = nil) {
        guard points.count >= 2 else { return }
        let list = points.map { "\(number($0.x)),\(number($0.y))" }.joined(separator: " ")
        var attributes = [("points", list), ("fill", "none"), ("stroke", stroke), ("stroke-width", number(width)),
                          ("stroke-linejoin", "round")]
        if let dash { attributes.append(("stroke-dasharray", dash)) }
        element("polyline", attributes)
    }

    public mutating func circle(cx: Double, cy: Double, r: Double, fill: String, stroke: String? = nil) {
        var attributes = [("cx", number(cx)), ("cy", number(cy)), ("r", number(r)), ("fill", fill)]
        if let stroke { attributes.append(("stroke", stroke)) }
        element("circle", attributes)
    }

    public mutating func rect(x: Double, y: Double, width: Double, height: Double, fill: String,
                              stroke: String? = nil) {
        var attributes = [("x", number(x)), ("y", number(y)), ("width", number(width)), ("height", number(height)),
                          ("fill", fill)]
        if let stroke { attributes.append(("stroke", stroke)) }
        element("rect", attributes)
    }

    /// How text is placed relative to its anchor point.
    public enum Anchor: String {
        case start, middle, end
    }

    /// Text at (x, y) (the baseline); `rotation` in degrees around the anchor point.
    public mutating func text(_ content: String, x: Double, y: Double, size: Double = 12, anchor: Anchor = .start,
                              weight: String? = nil, fill: String = "#222", rotation: Double? = nil,
                              role: String? = nil) {
        var attributes = [("x", number(x)), ("y", number(y)), ("font-size", number(size)),
                          ("text-anchor", anchor.rawValue), ("fill", fill)]
        if let weight { attributes.append(("font-weight", weight)) }
        if let rotation { attributes.append(("transform", "rotate(\(number(rotation)) \(number(x)) \(number(y)))")) }
        if let role { attributes.append(("class", role)) }
        elements.append("<text" + attributeText(attributes) + ">" + Self.escape(content) + "</text>")
    }

    /// Opens a group (`<g>`) with a class naming its role (axis, legend, series), for tests
    /// and stylesheets; close it with `endGroup`.
    public mutating func beginGroup(role: String) {
        elements.append("<g class=\"\(Self.escape(role))\">")
    }

    public mutating func endGroup() {
        elements.append("</g>")
    }

    /// The document's text.
    public var text: String {
        var output = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        output += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(number(width))\" height=\"\(number(height))\" "
        output += "viewBox=\"0 0 \(number(width)) \(number(height))\" font-family=\"Helvetica, Arial, sans-serif\">\n"
        output += elements.joined(separator: "\n")
        output += "\n</svg>\n"
        return output
    }

    /// Text made safe for XML content and attribute values.
    public static func escape(_ text: String) -> String {
        var output = ""
        output.reserveCapacity(text.count)
        for character in text {
            switch character {
            case "&": output += "&amp;"
            case "<": output += "&lt;"
            case ">": output += "&gt;"
            case "\"": output += "&quot;"
            case "'": output += "&apos;"
            default: output.append(character)
            }
        }
        return output
    }

    private mutating func element(_ name: String, _ attributes: [(String, String)]) {
        elements.append("<\(name)" + attributeText(attributes) + "/>")
    }

    private func attributeText(_ attributes: [(String, String)]) -> String {
        attributes.map { " \($0.0)=\"\(Self.escape($0.1))\"" }.joined()
    }

    private func number(_ value: Double) -> String {
        ReportNumbers.plain(value, decimals: 2)
    }
}
