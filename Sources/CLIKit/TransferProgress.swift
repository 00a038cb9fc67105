/// The standard transfer status line shared by the programs:
/// `12.3 MB / 50.0 MB  24%  54.2 Mbit/s  retx 12  ETA 6 s` (total, percentage and ETA only when
/// the size is known, as it is not when sending standard input).
public struct TransferProgress: Sendable {
    /// Bytes transferred (acknowledged or received) so far.
    public var bytesDone: UInt64
    /// The whole size, if known.
    public var totalBytes: UInt64?
    /// The current rate, for display and the ETA.
    public var bitsPerSecond: Double
    /// Retransmitted packets so far.
    public var retransmissions: UInt64

    public init(bytesDone: UInt64, totalBytes: UInt64?, bitsPerSecond: Double, retransmissions: UInt64) {
        self.bytesDone = bytesDone
        self.totalBytes = totalBytes
        self.bitsPerSecond = bitsPerSecond
        self.retransmissions = retransmissions
    }

    /// The status line, for `ProgressLine.update`.
    public var line: String {
        var parts: [String] = []
        if let totalBytes {
            parts.append("\(HumanFormat.bytes(bytesDone)) / \(HumanFormat.bytes(totalBytes))")
            let percent = totalBytes == 0 ? 100 : min(100, bytesDone * 100 / totalBytes)
            parts.append("\(percent)%")
        } else {
            parts.append(HumanFormat.bytes(bytesDone))
        }
        parts.append(HumanFormat.rate(bitsPerSecond: bitsPerSecond))
        parts.append("retx \(retransmissions)")
        if let eta = etaSeconds {
            // Whole seconds: a status line redrawn ten times a second should not flicker in decimals.
            let text = eta < 59.5 ? "\(Int(eta.rounded(.up))) s" : HumanFormat.duration(seconds: eta)
            parts.append("ETA " + text)
        }
        return parts.joined(separator: "  ")
    }

    /// Seconds left at the current rate, when the total is known and the rate is not zero.
    public var etaSeconds: Double? {
        guard let totalBytes, bitsPerSecond > 0, bitsPerSecond.isFinite else { return nil }
        let remaining = totalBytes > bytesDone ? totalBytes - bytesDone : 0
        return Double(remaining) * 8 / bitsPerSecond
    }
}
