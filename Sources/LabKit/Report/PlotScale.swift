import Foundation

/// Maps data values on one axis to pixels, linearly or logarithmically, and picks its ticks.
public struct PlotScale: Sendable {
    /// How values are spaced along the axis.
    public enum Kind: Sendable, Equatable {
        case linear
        /// Logarithmic with the given base (10 for goodput and delay, 2 for windows).
        case log(base: Double)
    }

    public let kind: Kind
    /// The data range shown (for log scales both ends are positive).
    public let lower: Double
    public let upper: Double
    /// The pixel range: `start` for `lower`, `end` for `upper` (y axes run upwards: start > end).
    public let start: Double
    public let end: Double

    /// A scale covering `values` with some headroom, rounded to tick values.
    public init(kind: Kind, covering values: [Double], start: Double, end: Double, includeZero: Bool = false) {
        self.kind = kind
        self.start = start
        self.end = end
        let finite = values.filter { $0.isFinite && (kind == .linear || $0 > 0) }
        switch kind {
        case .linear:
            var low = finite.min() ?? 0
            var high = finite.max() ?? 1
            if includeZero { low = min(low, 0) }
            if high <= low { high = low + (low == 0 ? 1 : abs(low)) }
            let step = Self.niceStep((high - low) / 5)
            lower = (low / step).rounded(.down) * step
            // An axis that runs on far past the data (2 s for 1.54 s) reads as if data were
            // missing: end at the next half step when the whole one overshoots the data by a fifth.
            let whole = (high / step).rounded(.up) * step
            upper = whole - high > 0.2 * (high - lower) ? (high / (step / 2)).rounded(.up) * (step / 2) : whole
        case .log(let base):
            let low = finite.min() ?? 1
            var high = finite.max() ?? base
            if high <= low { high = low * base }
            lower = pow(base, (log(low) / log(base)).rounded(.down))
            upper = pow(base, (log(high) / log(base)).rounded(.up))
        }
    }

    /// The pixel position of `value` (values outside the range extrapolate).
    public func position(_ value: Double) -> Double {
        let fraction: Double
        switch kind {
        case .linear:
            fraction = (value - lower) / (upper - lower)
        case .log:
            fraction = (log(max(value, .leastNormalMagnitude)) - log(lower)) / (log(upper) - log(lower))
        }
        return start + fraction * (end - start)
    }

    /// Whether `value` can be drawn on this scale (log scales cannot show 0 or less).
    public func canShow(_ value: Double) -> Bool {
        value.isFinite && (kind == .linear || value > 0)
    }

    /// Values to mark with a labelled tick.
    public var ticks: [Double] {
        switch kind {
        case .linear:
            let step = Self.niceStep((upper - lower) / 5)
            var result: [Double] = []
            var value = lower
            while value <= upper + step * 1e-9 {
                result.append(abs(value) < step * 1e-9 ? 0 : value)
                value += step
            }
            return result
        case .log(let base):
            var result: [Double] = []
            var value = lower
            let decades = log(upper / lower) / log(base)
            while value <= upper * (1 + 1e-9) {
                result.append(value)
                // Few decades of base 10: label 1, 2, 5 within each.
                if base == 10 && decades <= 2 {
                    for multiple in [2.0, 5.0] where value * multiple < upper { result.append(value * multiple) }
                }
                value *= base
            }
            return result.sorted()
        }
    }

    /// A step of 1, 2 or 5 times a power of ten near `rough`.
    static func niceStep(_ rough: Double) -> Double {
        guard rough > 0, rough.isFinite else { return 1 }
        let power = pow(10, (log10(rough)).rounded(.down))
        let fraction = rough / power
        let nice: Double = fraction <= 1 ? 1 : (fraction <= 2 ? 2 : (fraction <= 5 ? 5 : 10))
        return nice * power
    }

    /// A tick label: no trailing zeros, thousands as plain digits.
    public static func label(_ value: Double) -> String {
        if value != 0 && abs(value) < 0.01 { return String(format: "%.0e", value) }
        return ReportNumbers.plain(value, decimals: abs(value) < 1 ? 3 : 2)
    }
}
