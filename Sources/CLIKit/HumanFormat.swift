/// Human-readable numbers for summaries and progress: three significant digits, decimal units.
///
/// Bytes use decimal units (`12.3 MB`), matching rates in Mbit/s and goodput defined with 10^6,
/// so that "10.0 MB in 1.00 s" reads as 80.0 Mbit/s without mental conversion.
public enum HumanFormat {
    /// `512 B`, `12.3 kB`, `1.50 MB`, `2.00 GB`.
    public static func bytes(_ count: UInt64) -> String {
        if count < 1000 { return "\(count) B" }
        return scaled(Double(count), base: 1000, units: ["B", "kB", "MB", "GB", "TB", "PB", "EB"])
    }

    /// `800 bit/s`, `54.2 Mbit/s`, `1.00 Gbit/s`.
    public static func rate(bitsPerSecond: Double) -> String {
        guard bitsPerSecond.isFinite, bitsPerSecond > 0 else { return "0 bit/s" }
        if bitsPerSecond < 999.5 { return fixed(bitsPerSecond, decimals: 0) + " bit/s" }
        return scaled(
            bitsPerSecond, base: 1000, units: ["bit/s", "kbit/s", "Mbit/s", "Gbit/s", "Tbit/s", "Pbit/s"])
    }

    /// `850 ns`, `250 us`, `12.5 ms`, `1.52 s`, `2m 05s`, `1h 02m`.
    public static func duration(nanoseconds: UInt64) -> String {
        let seconds = Double(nanoseconds) / 1e9
        if seconds >= 59.995 {
            let total = UInt64(seconds.rounded())
            if total >= 3600 {
                let minutes = (total + 30) / 60
                return "\(minutes / 60)h \(twoDigits(minutes % 60))m"
            }
            return "\(total / 60)m \(twoDigits(total % 60))s"
        }
        if nanoseconds < 1000 { return "\(nanoseconds) ns" }
        return scaled(Double(nanoseconds), base: 1000, units: ["ns", "us", "ms", "s"])
    }

    /// `duration` for a span given in seconds; negative or non-finite spans show as `?`.
    public static func duration(seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0, seconds < 1.8e10 else { return "?" }
        return duration(nanoseconds: UInt64((seconds * 1e9).rounded()))
    }

    /// A value with exactly `decimals` digits after the point, locale-free (`fixed(1.5, 2)` → `1.50`).
    public static func fixed(_ value: Double, decimals: Int) -> String {
        guard value.isFinite else { return value.isNaN ? "nan" : (value < 0 ? "-inf" : "inf") }
        var power = 1.0
        for _ in 0..<decimals { power *= 10 }
        let scaledValue = (abs(value) * power).rounded()
        guard scaledValue < 9e18 else { return "\(value)" }
        let units = UInt64(scaledValue)
        let whole = units / UInt64(power)
        let fraction = units % UInt64(power)
        let sign = value < 0 && units != 0 ? "-" : ""
        guard decimals > 0 else { return "\(sign)\(whole)" }
        let fractionText = String(fraction)
        let padding = String(repeating: "0", count: decimals - fractionText.count)
        return "\(sign)\(whole).\(padding)\(fractionText)"
    }

    /// A value with at most `maximumDecimals` digits after the point and no trailing zeros (`5`, `0.25`).
    public static func trimmed(_ value: Double, maximumDecimals: Int) -> String {
        var text = fixed(value, decimals: maximumDecimals)
        guard text.contains(".") else { return text }
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }

    /// Three significant digits in the largest unit that keeps the number at least 1.
    private static func scaled(_ value: Double, base: Double, units: [String]) -> String {
        var amount = value
        var index = 0
        // Move up while the rounded three-digit form would reach 1000 in the current unit.
        while amount >= 999.5 && index < units.count - 1 {
            amount /= base
            index += 1
        }
        let decimals = amount < 9.995 ? 2 : (amount < 99.95 ? 1 : 0)
        return fixed(amount, decimals: decimals) + " " + units[index]
    }

    private static func twoDigits(_ value: UInt64) -> String {
        value < 10 ? "0\(value)" : "\(value)"
    }
}
