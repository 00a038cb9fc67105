/// A probability written as a percentage, as netem writes them: `5` and `5%` both mean five percent.
///
/// Decimals are allowed (`0.5%`); the value must lie between 0 and 100 inclusive.
public struct PercentValue: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The probability as a fraction between 0 and 1 (`5%` → 0.05).
    public var fraction: Double

    public init(fraction: Double) {
        self.fraction = fraction
    }

    /// The value in percent (`0.05` → 5).
    public var percent: Double { fraction * 100 }

    public static func < (lhs: PercentValue, rhs: PercentValue) -> Bool {
        lhs.fraction < rhs.fraction
    }

    /// Shortest readable form, such as `5%` or `0.25%`.
    public var description: String { HumanFormat.trimmed(percent, maximumDecimals: 4) + "%" }

    /// Parses `5`, `5%`, `0.5%`, `100`; throws `ValueError` naming the problem.
    public static func parse(_ text: String) throws -> PercentValue {
        guard let (literal, unit, tooLarge) = DecimalLiteral.split(text), unit.isEmpty || unit == "%"
        else {
            throw ValueError("'\(text)' is not a percentage (examples: 5, 5%, 0.5%)")
        }
        let percent = literal.doubleValue
        guard !tooLarge, percent >= 0, percent <= 100 else {
            throw ValueError("'\(text)' is not a percentage between 0 and 100")
        }
        return PercentValue(fraction: percent / 100)
    }
}
