import SystemKit
/// Wording shared by both ends of the TCP baseline's one-line errors.
enum TCPBaselineText {
    /// `10s`, `1.5s`, `250ms`: a timeout as the user would have typed it.
    static func duration(_ nanoseconds: UInt64) -> String {
        if nanoseconds >= 1_000_000_000 {
            let tenths = (nanoseconds + 50_000_000) / 100_000_000
            return tenths % 10 == 0 ? "\(tenths / 10)s" : "\(tenths / 10).\(tenths % 10)s"
        }
        if nanoseconds >= 1_000_000 { return "\((nanoseconds + 500_000) / 1_000_000)ms" }
        return "\(nanoseconds / 1_000)us"
    }
}
