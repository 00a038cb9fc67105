/// A decimal number as typed on a command line (`1.5` in `1.5mbit`), kept as integer and
/// fraction digits so that applying a unit multiplier is exact rather than floating point.
struct DecimalLiteral {
    /// Digits before the point.
    var integerPart: UInt64
    /// Digits after the point, as an integer (`1.25` → 25).
    var fractionDigits: UInt64
    /// 10 to the number of fraction digits kept (`1.25` → 100).
    var fractionScale: UInt64
    /// Whether a leading `-` was present (units reject it; the caller says why).
    var isNegative: Bool
    /// Whether a decimal point with digits after it was written.
    var hasFraction: Bool { fractionDigits != 0 }

    /// The value as a Double, for percentages and display.
    var doubleValue: Double {
        let magnitude = Double(integerPart) + Double(fractionDigits) / Double(fractionScale)
        return isNegative ? -magnitude : magnitude
    }

    /// Splits `text` into a leading number and the unit after it (`"1.5 mbit"` → `1.5`, `"mbit"`).
    ///
    /// Returns nil when there is no number at the start. An integer part beyond UInt64 sets
    /// `tooLarge`, so the caller can say "too large" rather than "not a number".
    static func split(_ text: String) -> (literal: DecimalLiteral, unit: Substring, tooLarge: Bool)? {
        var rest = Substring(text.trimmingASCIIWhitespace())
        var negative = false
        if rest.first == "-" || rest.first == "+" {
            negative = rest.first == "-"
            rest = rest.dropFirst()
        }
        var integerPart: UInt64 = 0
        var sawDigit = false
        var tooLarge = false
        while let character = rest.first, let digit = character.asciiDigitValue {
            sawDigit = true
            let (shifted, overflowA) = integerPart.multipliedReportingOverflow(by: 10)
            let (sum, overflowB) = shifted.addingReportingOverflow(UInt64(digit))
            if overflowA || overflowB { tooLarge = true } else { integerPart = sum }
            rest = rest.dropFirst()
        }
        var fractionDigits: UInt64 = 0
        var fractionScale: UInt64 = 1
        if rest.first == ".", let afterPoint = rest.dropFirst().first, afterPoint.asciiDigitValue != nil {
            rest = rest.dropFirst()
            while let character = rest.first, let digit = character.asciiDigitValue {
                sawDigit = true
                // Eighteen digits are far below any unit's resolution; later ones are dropped.
                if fractionScale < 1_000_000_000_000_000_000 {
                    fractionDigits = fractionDigits * 10 + UInt64(digit)
                    fractionScale *= 10
                }
                rest = rest.dropFirst()
            }
        }
        guard sawDigit else { return nil }
        while let character = rest.first, character == " " || character == "\t" {
            rest = rest.dropFirst()
        }
        let literal = DecimalLiteral(
            integerPart: integerPart, fractionDigits: fractionDigits,
            fractionScale: fractionScale, isNegative: negative)
        return (literal, rest, tooLarge)
    }

    /// The magnitude times `multiplier`, rounded to the nearest integer; nil if it overflows UInt64.
    func scaled(by multiplier: UInt64) -> UInt64? {
        let (whole, overflow) = integerPart.multipliedReportingOverflow(by: multiplier)
        guard !overflow else { return nil }
        guard fractionDigits != 0 else { return whole }
        // fraction × multiplier / scale, exact in 128-bit intermediate arithmetic.
        let product = fractionDigits.multipliedFullWidth(by: multiplier)
        let (quotient, remainder) = fractionScale.dividingFullWidth(product)
        let rounded = remainder >= fractionScale - remainder ? quotient + 1 : quotient
        let (total, overflowSum) = whole.addingReportingOverflow(rounded)
        return overflowSum ? nil : total
    }
}

extension Character {
    /// The value of an ASCII digit, or nil (unlike `wholeNumberValue`, rejects other scripts' digits).
    var asciiDigitValue: Int? {
        guard let ascii = asciiValue, ascii >= 48, ascii <= 57 else { return nil }
        return Int(ascii - 48)
    }
}

extension String {
    /// The string without leading and trailing spaces, tabs and newlines.
    func trimmingASCIIWhitespace() -> Substring {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard let start = firstIndex(where: { !isSpace($0) }) else { return "" }
        let end = lastIndex(where: { !isSpace($0) })!
        return self[start...end]
    }
}

/// A unit suffix and the multiplier it stands for, looked up case-insensitively.
struct UnitTable {
    let entries: [(suffix: String, multiplier: UInt64)]

    func multiplier(for unit: Substring) -> UInt64? {
        let lowered = unit.lowercased()
        return entries.first { $0.suffix == lowered }?.multiplier
    }
}
