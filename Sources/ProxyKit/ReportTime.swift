import CLIKit

/// When a statistics report was made, as the relay's and the link's reports both show it.
struct ReportTime {
    /// Nanoseconds since relaying started.
    let elapsed: UInt64
    /// Whether the report was made when relaying stopped.
    let isFinal: Bool

    /// `2.0 s`, or `total after 2.0 s` for the final report.
    var stamp: String {
        let time = HumanFormat.fixed(Double(elapsed) / 1e9, decimals: 1) + " s"
        return isFinal ? "total after \(time)" : time
    }

    /// The members that open the report's JSON object: `"seconds":…,"final":…`.
    var jsonMembers: [(key: String, value: JSONValue)] {
        [("seconds", .double(Double(elapsed) / 1e9)), ("final", .bool(isFinal))]
    }
}
