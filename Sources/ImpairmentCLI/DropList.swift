import CLIKit

/// `--drop LIST`: the 1-based indices of the datagrams of a direction to drop, such as
/// `3,7,10-12`; items may come in any order and overlap.
public enum DropList {
    /// Largest index accepted: far beyond any experiment, small enough for any arithmetic.
    public static let maximumIndex = 1_000_000_000_000

    /// Parses `3,7,10-12` into `[3...3, 7...7, 10...12]`; throws `ValueError` quoting the bad item.
    public static func parse(_ text: String) throws -> [ClosedRange<Int>] {
        let items = text.split(separator: ",", omittingEmptySubsequences: false)
            .map { String($0).trimmingBlanks() }
        guard !items.contains(where: \.isEmpty) else {
            throw ValueError("'\(text)' has an empty item; write indices and ranges separated by commas, e.g. 3,7,10-12")
        }
        return try items.map(parseItem)
    }

    private static func parseItem(_ item: String) throws -> ClosedRange<Int> {
        let bounds = item.split(separator: "-", omittingEmptySubsequences: false).map(String.init)
        guard bounds.count <= 2 else {
            throw ValueError("'\(item)' is not an index (N) or a range (N-M) of datagrams")
        }
        let first = try parseIndex(bounds[0], item: item)
        let last = bounds.count == 2 ? try parseIndex(bounds[1], item: item) : first
        guard first <= last else {
            throw ValueError("'\(item)' is a backwards range; write the smaller index first (\(last)-\(first))")
        }
        return first...last
    }

    private static func parseIndex(_ text: String, item: String) throws -> Int {
        guard !text.isEmpty, text.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw ValueError("'\(item)' is not an index (N) or a range (N-M) of datagrams")
        }
        guard let index = Int(text), index <= maximumIndex else {
            throw ValueError("'\(item)' is too large an index")
        }
        guard index >= 1 else {
            throw ValueError("'\(item)': datagrams are numbered from 1")
        }
        return index
    }
}

extension String {
    /// The string without leading and trailing spaces and tabs.
    func trimmingBlanks() -> String {
        var slice = self[...]
        while let first = slice.first, first == " " || first == "\t" { slice = slice.dropFirst() }
        while let last = slice.last, last == " " || last == "\t" { slice = slice.dropLast() }
        return String(slice)
    }
}
