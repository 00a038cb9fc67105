/// Number formats shared by the CSV, the tables, the plots and the generated reading, so a
/// value reads the same everywhere. Locale-free.
public enum ReportNumbers {
    /// A probability as a percentage: `5%`, `0.5%`, `0%`.
    public static func percent(_ fraction: Double) -> String {
        plain(fraction * 100, decimals: 3) + "%"
    }

    /// A probability as a bare percentage number for CSV: `5`, `0.5`.
    public static func percentNumber(_ fraction: Double) -> String {
        plain(fraction * 100, decimals: 4)
    }

    /// Nanoseconds as milliseconds without trailing zeros: `10`, `0.25`.
    public static func milliseconds(_ nanoseconds: UInt64) -> String {
        plain(Double(nanoseconds) / 1e6, decimals: 3)
    }

    /// Bits per second as Mbit/s without trailing zeros: `50`, `0.8`.
    public static func mbps(_ bitsPerSecond: UInt64) -> String {
        plain(Double(bitsPerSecond) / 1e6, decimals: 3)
    }

    /// A value with at most `decimals` decimals and no trailing zeros.
    public static func plain(_ value: Double, decimals: Int) -> String {
        var text = fixed(value, decimals: decimals)
        guard text.contains(".") else { return text }
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }

    /// A value with exactly `decimals` decimals.
    public static func fixed(_ value: Double, decimals: Int) -> String {
        guard value.isFinite else { return value.isNaN ? "nan" : (value < 0 ? "-inf" : "inf") }
        var power = 1.0
        for _ in 0..<decimals { power *= 10 }
        let scaled = (abs(value) * power).rounded()
        guard scaled < 9e15 else { return String(value) }
        let units = UInt64(scaled)
        let whole = units / UInt64(power)
        let fraction = units % UInt64(power)
        let sign = value < 0 && units != 0 ? "-" : ""
        guard decimals > 0 else { return "\(sign)\(whole)" }
        let digits = String(fraction)
        return "\(sign)\(whole)." + String(repeating: "0", count: decimals - digits.count) + digits
    }

    /// Goodput for tables: three significant digits (`48.2`, `3.07`, `0.412`).
    public static func goodput(_ mbps: Double) -> String {
        guard mbps.isFinite else { return "∞" }
        let magnitude = abs(mbps)
        if magnitude >= 100 { return fixed(mbps, decimals: 0) }
        if magnitude >= 10 { return fixed(mbps, decimals: 1) }
        if magnitude >= 1 { return fixed(mbps, decimals: 2) }
        return fixed(mbps, decimals: 3)
    }
}
