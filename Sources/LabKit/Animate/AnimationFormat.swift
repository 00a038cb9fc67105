/// How an animation writes durations and times: the units a student reads.
enum AnimationFormat {
    /// 50000000 ns → "50ms", 1500000000 → "1.5s", 250000 → "250us" (the lab's duration syntax).
    static func duration(_ nanoseconds: UInt64) -> String {
        if nanoseconds % 1_000_000_000 == 0 { return "\(nanoseconds / 1_000_000_000)s" }
        if nanoseconds >= 1_000_000_000 { return trimmed(Double(nanoseconds) / 1e9) + "s" }
        if nanoseconds % 1_000_000 == 0 { return "\(nanoseconds / 1_000_000)ms" }
        if nanoseconds >= 1_000_000 { return trimmed(Double(nanoseconds) / 1e6) + "ms" }
        return "\(nanoseconds / 1_000)us"
    }

    /// Seconds as milliseconds for a sentence: 0.3004 → "300 ms", 0.0125 → "12.5 ms".
    static func milliseconds(_ seconds: Double) -> String {
        let value = seconds * 1_000
        return (abs(value) >= 10 ? String(Int(value.rounded())) : trimmed((value * 10).rounded() / 10)) + " ms"
    }

    /// Bits per second in the lab's rate syntax: 1000000 → "1mbit", 800000 → "800kbit".
    static func rate(_ bitsPerSecond: UInt64) -> String {
        if bitsPerSecond % 1_000_000_000 == 0 { return "\(bitsPerSecond / 1_000_000_000)gbit" }
        if bitsPerSecond % 1_000_000 == 0 { return "\(bitsPerSecond / 1_000_000)mbit" }
        if bitsPerSecond % 1_000 == 0 { return "\(bitsPerSecond / 1_000)kbit" }
        return "\(bitsPerSecond)bit"
    }

    /// At most three decimals, without trailing zeros.
    static func trimmed(_ value: Double) -> String {
        let rounded = (value * 1_000).rounded() / 1_000
        if rounded == rounded.rounded() { return String(Int(rounded)) }
        var text = String(format3(rounded))
        while text.hasSuffix("0") { text.removeLast() }
        return text
    }

    private static func format3(_ value: Double) -> String {
        let thousandths = Int((abs(value) * 1_000).rounded())
        let sign = value < 0 ? "-" : ""
        let fraction = String(thousandths % 1_000)
        return sign + "\(thousandths / 1_000)." + String(repeating: "0", count: 3 - fraction.count) + fraction
    }

    /// "1 retransmission", "3 retransmissions".
    static func count(_ number: Int, _ noun: String, plural: String? = nil) -> String {
        "\(number) " + (number == 1 ? noun : plural ?? noun + "s")
    }

    /// "0, 1 and 2".
    static func list(_ items: [String]) -> String {
        guard items.count > 1 else { return items.first ?? "" }
        return items.dropLast().joined(separator: ", ") + " and " + items.last!
    }
}
