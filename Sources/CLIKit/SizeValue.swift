/// A byte count given on the command line.
///
/// A bare whole number is bytes (`1400`); `B` may be written. Decimal (SI) units with a `B`:
/// `KB`, `MB`, `GB`, `TB` are powers of 1000, as disk and network vendors use them. Binary units:
/// `KiB`, `MiB`, `GiB`, `TiB` are powers of 1024, and so are the single letters `K`, `M`, `G`,
/// `T` (as in dd, head and ls, where `64K` has always meant 65536). Units are case-insensitive;
/// decimals are allowed with a unit (`1.5MB`), rounded to the nearest byte.
public struct SizeValue: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The size in bytes.
    public var bytes: UInt64

    public init(bytes: UInt64) {
        self.bytes = bytes
    }

    public static func < (lhs: SizeValue, rhs: SizeValue) -> Bool {
        lhs.bytes < rhs.bytes
    }

    /// Human form in decimal units, such as `12.3 MB` (consistent with goodput in Mbit/s).
    public var description: String { HumanFormat.bytes(bytes) }

    static let units = UnitTable(entries: [
        ("b", 1),
        ("kb", 1_000), ("mb", 1_000_000), ("gb", 1_000_000_000), ("tb", 1_000_000_000_000),
        ("kib", 1 << 10), ("mib", 1 << 20), ("gib", 1 << 30), ("tib", 1 << 40),
        ("k", 1 << 10), ("m", 1 << 20), ("g", 1 << 30), ("t", 1 << 40),
    ])

    /// Parses `1400`, `64KiB`, `10MB`, `1GiB`, `64K`; throws `ValueError` naming the problem.
    public static func parse(_ text: String) throws -> SizeValue {
        guard let (literal, unit, tooLarge) = DecimalLiteral.split(text) else {
            throw ValueError("'\(text)' is not a size (examples: 1400, 64KiB, 10MB, 1GiB)")
        }
        if literal.isNegative && (literal.integerPart != 0 || literal.hasFraction) {
            throw ValueError("'\(text)' is negative; a size must be 0 or more")
        }
        let multiplier: UInt64
        if unit.isEmpty {
            if literal.hasFraction {
                throw ValueError("'\(text)' is not a whole number of bytes")
            }
            multiplier = 1
        } else if let known = units.multiplier(for: unit) {
            multiplier = known
        } else {
            throw ValueError("'\(text)' has an unknown unit '\(unit)'; use B, KB, MB, GB (×1000) or KiB, MiB, GiB (×1024)")
        }
        guard !tooLarge, let bytes = literal.scaled(by: multiplier) else {
            throw ValueError("'\(text)' is too large a size")
        }
        return SizeValue(bytes: bytes)
    }
}
