/// Jain's fairness index of allocations x₁…xₙ: (Σx)² / (n · Σx²). It is 1 when every flow gets
/// the same, 1/n when one flow gets everything, and does not depend on the unit (R. Jain,
/// D. Chiu, W. Hawe, DEC-TR-301, 1984).
public enum FairnessIndex {
    /// The index of `allocations` (non-negative); nil for none, or when all are zero.
    public static func jain(_ allocations: [Double]) -> Double? {
        guard !allocations.isEmpty else { return nil }
        let sum = allocations.reduce(0, +)
        let squares = allocations.reduce(0) { $0 + $1 * $1 }
        guard squares > 0 else { return nil }
        return sum * sum / (Double(allocations.count) * squares)
    }

    /// The link's utilisation: the flows' goodputs summed, over the link rate (both in bit/s).
    public static func utilisation(goodputs bitsPerSecond: [Double], linkRate: Double) -> Double? {
        guard linkRate > 0 else { return nil }
        return bitsPerSecond.reduce(0, +) / linkRate
    }
}
