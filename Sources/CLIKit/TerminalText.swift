/// Makes text from outside the program (a peer's message, a file name, a path) safe to print on
/// a terminal or in a log: nothing in it can move the cursor, recolour, retitle the window or
/// hide what follows.
///
/// Escaped as `\xHH`: C0 controls, DEL, C1 controls (U+0080–U+009F: U+009B is a one-character
/// CSI on some terminals) and bytes that are not valid UTF-8; as `\u{HHHH}`: the bidirectional
/// overrides and isolates, which reorder what is shown. Everything else passes unchanged, so
/// escaping text that is already safe changes nothing.
public enum TerminalText {
    /// `bytes` as text safe to show (invalid UTF-8 appears as `\xHH` per byte).
    public static func escaping(_ bytes: some Collection<UInt8>) -> String {
        var out = ""
        var input = Array(bytes)[...]
        while !input.isEmpty {
            if let (scalar, length) = decodeScalar(input) {
                append(scalar, to: &out)
                input = input.dropFirst(length)
            } else {
                out += hexEscape(UInt32(input.first!))
                input = input.dropFirst()
            }
        }
        return out
    }

    /// `text` with every unsafe character escaped.
    public static func escaping(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isUnsafe) else { return text }
        var out = ""
        for scalar in text.unicodeScalars { append(scalar, to: &out) }
        return out
    }

    /// Whether `scalar` must not reach a terminal as it is.
    public static func isUnsafe(_ scalar: Unicode.Scalar) -> Bool {
        isControl(scalar) || isBidiControl(scalar)
    }

    /// C0, DEL or C1: the control characters.
    public static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }

    private static func isBidiControl(_ scalar: Unicode.Scalar) -> Bool {
        (0x202A...0x202E).contains(scalar.value) || (0x2066...0x2069).contains(scalar.value)
            || scalar.value == 0x200E || scalar.value == 0x200F || scalar.value == 0x061C
    }

    private static func append(_ scalar: Unicode.Scalar, to out: inout String) {
        if isControl(scalar) {
            out += hexEscape(scalar.value)
        } else if isBidiControl(scalar) {
            out += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
        } else {
            out.unicodeScalars.append(scalar)
        }
    }

    private static func hexEscape(_ value: UInt32) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return "\\x" + (digits.count < 2 ? "0" + digits : digits)
    }

    /// The scalar a valid UTF-8 sequence at the start of `bytes` encodes, and its length; nil
    /// when the first byte does not start one (overlong forms and surrogates included).
    private static func decodeScalar(_ bytes: ArraySlice<UInt8>) -> (Unicode.Scalar, Int)? {
        var decoder = UTF8()
        var iterator = bytes.prefix(4).makeIterator()
        var consumed = 0
        var counting = AnyIterator { () -> UInt8? in
            guard let byte = iterator.next() else { return nil }
            consumed += 1
            return byte
        }
        guard case .scalarValue(let scalar) = decoder.decode(&counting) else { return nil }
        // The decoder may read one byte past a sequence; the scalar's own length is what counts.
        return (scalar, UTF8.width(scalar))
    }
}
