/// Waiting for what a child says: a server's "listening on …" line, its last error.
extension ChildProcess {
    /// Which captured streams a wait looks at.
    public enum Streams: Sendable {
        case stdout, stderr, both
    }

    /// Waits up to `timeout` seconds for a line on `streams` matching `predicate`, reading both
    /// pipes meanwhile; lines read before the call count too. Returns the first match, or nil
    /// when time runs out or the streams have ended without one.
    public func waitForLine(on streams: Streams, timeout: Double, where predicate: (String) -> Bool) -> String? {
        let deadline = MonotonicClock.now() + UInt64(max(0, timeout) * 1e9)
        var checkedOut = 0
        var checkedErr = 0
        while true {
            if streams != .stderr, let match = Self.firstMatch(stdoutLines, after: &checkedOut, predicate) { return match }
            if streams != .stdout, let match = Self.firstMatch(stderrLines, after: &checkedErr, predicate) { return match }
            let now = MonotonicClock.now()
            if now >= deadline || !hasOpenOutput { return nil }
            waitForOutput(milliseconds: Int32(min(50, (deadline - now) / 1_000_000 + 1)))
            readAvailable()
        }
    }

    /// The last stderr line that says something, for failure messages.
    public var lastErrorLine: String? {
        stderrLines.last { $0.contains { !$0.isWhitespace } }
    }

    private static func firstMatch(_ lines: [String], after checked: inout Int, _ predicate: (String) -> Bool) -> String? {
        while checked < lines.count {
            defer { checked += 1 }
            if predicate(lines[checked]) { return lines[checked] }
        }
        return nil
    }
}
