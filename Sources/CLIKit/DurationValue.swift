/// A non-negative time span given on the command line, in nanoseconds (the lab's clock unit).
///
/// Accepted forms: a number (decimals allowed) followed by `ns`, `us` (or `µs`), `ms`, `s`,
/// `m` (or `min`) or `h`, for example `250us`, `10ms`, `1.5s`, `2m`. A unit is required because a
/// bare `10` is ambiguous between tools (tc reads microseconds, most people mean milliseconds);
/// only `0` may omit it. Units are case-insensitive; a space before the unit is allowed.
public struct DurationValue: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The span in nanoseconds.
    public var nanoseconds: UInt64

    public init(nanoseconds: UInt64) {
        self.nanoseconds = nanoseconds
    }

    /// The span in seconds, for arithmetic and display.
    public var seconds: Double { Double(nanoseconds) / 1e9 }

    /// The span in milliseconds.
    public var milliseconds: Double { Double(nanoseconds) / 1e6 }

    public static func < (lhs: DurationValue, rhs: DurationValue) -> Bool {
        lhs.nanoseconds < rhs.nanoseconds
    }

    /// Human form, such as `850 ms` or `1.52 s`.
    public var description: String { HumanFormat.duration(nanoseconds: nanoseconds) }

    static let units = UnitTable(entries: [
        ("ns", 1),
        ("us", 1_000), ("µs", 1_000), ("μs", 1_000),
        ("ms", 1_000_000),
        ("s", 1_000_000_000), ("sec", 1_000_000_000),
        ("m", 60_000_000_000), ("min", 60_000_000_000),
        ("h", 3_600_000_000_000),
    ])

    /// Parses `250us`, `10ms`, `1.5s`, `2m`, `1h`; throws `ValueError` naming the problem.
    public static func parse(_ text: String) throws -> DurationValue {
        guard let (literal, unit, tooLarge) = DecimalLiteral.split(text) else {
            throw ValueError("'\(text)' is not a duration (examples: 10ms, 1.5s, 250us)")
        }
        if literal.isNegative && (literal.integerPart != 0 || literal.hasFraction) {
            throw ValueError("'\(text)' is negative; a duration must be 0 or more")
        }
        if unit.isEmpty {
            if literal.integerPart == 0 && !literal.hasFraction && !tooLarge {
                return DurationValue(nanoseconds: 0)
            }
            let number = text.trimmingASCIIWhitespace()
            throw ValueError(
                "'\(text)' needs a unit: \(number)ms, \(number)s, \(number)us (units: ns, us, ms, s, m, h)")
        }
        guard let multiplier = units.multiplier(for: unit) else {
            throw ValueError("'\(text)' has an unknown unit '\(unit)'; use ns, us, ms, s, m or h")
        }
        guard !tooLarge, let nanoseconds = literal.scaled(by: multiplier) else {
            throw ValueError("'\(text)' is too large a duration")
        }
        return DurationValue(nanoseconds: nanoseconds)
    }
}
