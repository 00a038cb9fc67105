extension JSONValue: CustomStringConvertible {
    /// The compact encoding, as `jsonText`.
    public var description: String { jsonText }

    /// Compact one-line JSON: no spaces, keys in insertion order, control characters escaped,
    /// doubles rounded to 6 decimals (or shortest form when tiny or huge), non-finite as `null`.
    public var jsonText: String {
        var output = ""
        output.reserveCapacity(128)
        encode(into: &output)
        return output
    }

    func encode(into output: inout String) {
        switch self {
        case .null: output += "null"
        case .bool(let value): output += value ? "true" : "false"
        case .int(let value): output += String(value)
        case .double(let value): output += JSONValue.numberText(value)
        case .string(let value): JSONValue.appendQuoted(value, to: &output)
        case .array(let elements):
            output += "["
            for (index, element) in elements.enumerated() {
                if index > 0 { output += "," }
                element.encode(into: &output)
            }
            output += "]"
        case .object(let members):
            output += "{"
            for (index, member) in members.enumerated() {
                if index > 0 { output += "," }
                JSONValue.appendQuoted(member.key, to: &output)
                output += ":"
                member.value.encode(into: &output)
            }
            output += "}"
        }
    }

    /// Six decimals are microseconds for seconds and far below measurement noise for rates, and
    /// keep `0.1 + 0.2` from printing as `0.30000000000000004`.
    static func numberText(_ value: Double) -> String {
        guard value.isFinite else { return "null" }
        let magnitude = abs(value)
        if magnitude == 0 { return "0.0" }
        if magnitude >= 1e-3 && magnitude < 1e12 {
            let rounded = (value * 1e6).rounded() / 1e6
            return "\(rounded)"
        }
        // Swift's shortest round-trip form (`1e-05`, `1e+15`) is valid JSON.
        return "\(value)"
    }

    static func appendQuoted(_ text: String, to output: inout String) {
        output += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case "\u{08}": output += "\\b"
            case "\u{0C}": output += "\\f"
            // U+2028/2029 are valid JSON but break JavaScript readers of the same lines.
            case "\u{2028}": output += "\\u2028"
            case "\u{2029}": output += "\\u2029"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    let hex = String(scalar.value, radix: 16, uppercase: false)
                    output += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    output.unicodeScalars.append(scalar)
                }
            }
        }
        output += "\""
    }
}
