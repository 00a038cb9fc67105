/// A data rate in bits per second, written as tc writes rates.
///
/// Bits per second: a bare number, `bit`, `kbit`, `mbit`, `gbit`, `tbit` (powers of 1000) and
/// `kibit`, `mibit`, `gibit`, `tibit` (powers of 1024). Bytes per second, exactly as in tc:
/// `bps`, `kbps`, `mbps`, `gbps`, `tbps` (×8, powers of 1000) and `kibps`, `mibps`, `gibps`,
/// `tibps`. Note the tc trap: `10mbps` is ten megaBYTES per second; write `10mbit` for megabits.
/// The display form `54.2 Mbit/s` (any `…bit/s`) is accepted too. Units are case-insensitive,
/// decimals are allowed (`1.5mbit`). Zero parses; whether it means "unlimited" is up to the caller.
public struct RateValue: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The rate in bits per second.
    public var bitsPerSecond: UInt64

    public init(bitsPerSecond: UInt64) {
        self.bitsPerSecond = bitsPerSecond
    }

    /// The rate in bytes per second, as a Double for pacing arithmetic.
    public var bytesPerSecond: Double { Double(bitsPerSecond) / 8 }

    public static func < (lhs: RateValue, rhs: RateValue) -> Bool {
        lhs.bitsPerSecond < rhs.bitsPerSecond
    }

    /// Human form, such as `54.2 Mbit/s`.
    public var description: String { HumanFormat.rate(bitsPerSecond: Double(bitsPerSecond)) }

    static let units = UnitTable(entries: [
        ("bit", 1), ("kbit", 1_000), ("mbit", 1_000_000), ("gbit", 1_000_000_000),
        ("tbit", 1_000_000_000_000),
        ("bit/s", 1), ("kbit/s", 1_000), ("mbit/s", 1_000_000), ("gbit/s", 1_000_000_000),
        ("tbit/s", 1_000_000_000_000),
        ("kibit", 1 << 10), ("mibit", 1 << 20), ("gibit", 1 << 30), ("tibit", 1 << 40),
        ("bps", 8), ("kbps", 8_000), ("mbps", 8_000_000), ("gbps", 8_000_000_000),
        ("tbps", 8_000_000_000_000),
        ("kibps", 8 << 10), ("mibps", 8 << 20), ("gibps", 8 << 30), ("tibps", 8 << 40),
    ])

    /// Parses `800kbit`, `10mbit`, `1gbit`, `1.5mbit`, `125kbps`; throws `ValueError` naming the problem.
    public static func parse(_ text: String) throws -> RateValue {
        guard let (literal, unit, tooLarge) = DecimalLiteral.split(text) else {
            throw ValueError("'\(text)' is not a rate (examples: 800kbit, 10mbit, 1gbit)")
        }
        if literal.isNegative && (literal.integerPart != 0 || literal.hasFraction) {
            throw ValueError("'\(text)' is negative; a rate must be 0 or more")
        }
        let multiplier: UInt64
        if unit.isEmpty {
            multiplier = 1
        } else if let known = units.multiplier(for: unit) {
            multiplier = known
        } else {
            throw ValueError(
                "'\(text)' has an unknown unit '\(unit)'; use kbit, mbit, gbit (bits/s) or kbps, mbps (bytes/s, as in tc)")
        }
        guard !tooLarge, let bits = literal.scaled(by: multiplier) else {
            throw ValueError("'\(text)' is too large a rate")
        }
        return RateValue(bitsPerSecond: bits)
    }
}
