/// Ready-made value parsers for `CommandSpec` declarations, beside the unit types' own `parse`.
public enum ValueParsers {
    /// The text as given.
    public static let string: @Sendable (String) throws -> String = { $0 }

    /// A whole decimal number within `range`: `'0' is not a whole number between 1 and 65535`.
    public static func integer(in range: ClosedRange<Int>) -> @Sendable (String) throws -> Int {
        { text in
            guard let value = Int(text.trimmingASCIIWhitespace()), range.contains(value) else {
                throw ValueError(
                    "'\(text)' is not a whole number between \(range.lowerBound) and \(range.upperBound)")
            }
            return value
        }
    }

    /// A non-negative whole number fitting UInt64 (seeds, counts).
    public static let unsignedInteger: @Sendable (String) throws -> UInt64 = { text in
        guard let value = UInt64(text.trimmingASCIIWhitespace()) else {
            throw ValueError("'\(text)' is not a whole number of 0 or more")
        }
        return value
    }

    /// One of fixed words, compared exactly: `'tpc' is not one of sw, gbn, sr, tcp`.
    public static func choice(_ choices: [String]) -> @Sendable (String) throws -> String {
        { text in
            guard choices.contains(text) else {
                var message = "'\(text)' is not one of \(choices.joined(separator: ", "))"
                if let suggestion = closestName(to: text, among: choices) {
                    message += "; did you mean '\(suggestion)'?"
                }
                throw ValueError(message)
            }
            return text
        }
    }

    /// A comma-separated list of values of one kind (`0,1,2,5,10`, `sw,gbn,sr`); at least one item.
    /// An item's error is reported as is, since it quotes the item.
    public static func list<Element>(
        _ element: @escaping (String) throws -> Element
    ) -> (String) throws -> [Element] {
        { text in
            let items = text.split(separator: ",", omittingEmptySubsequences: false)
                .map { String(String($0).trimmingASCIIWhitespace()) }
            guard !items.contains(where: \.isEmpty) else {
                throw ValueError("'\(text)' has an empty item; separate values with single commas, e.g. 0,1,5")
            }
            return try items.map(element)
        }
    }
}
