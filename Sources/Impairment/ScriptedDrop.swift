/// Drops the datagrams whose 1-based index in this direction is listed, e.g. 3, 7, 10...12.
struct ScriptedDrop {
    /// Sorted, merged, non-overlapping ranges.
    private let ranges: [ClosedRange<Int>]
    /// First range that may still contain an index: indices only grow, so lookups walk forward.
    private var cursor = 0

    init(_ ranges: [ClosedRange<Int>]) {
        var merged: [ClosedRange<Int>] = []
        for range in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = merged.last, range.lowerBound <= last.upperBound &+ 1 {
                merged[merged.count - 1] = last.lowerBound...max(last.upperBound, range.upperBound)
            } else {
                merged.append(range)
            }
        }
        self.ranges = merged
    }

    var isEnabled: Bool { !ranges.isEmpty }

    /// Whether datagram `index` is to be dropped; indices must be asked in increasing order.
    mutating func drops(index: Int) -> Bool {
        while cursor < ranges.count, ranges[cursor].upperBound < index {
            cursor += 1
        }
        return cursor < ranges.count && ranges[cursor].lowerBound <= index
    }
}
