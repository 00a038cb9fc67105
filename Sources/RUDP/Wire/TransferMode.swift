/// The reliability scheme of a transfer, negotiated in the SYN.
public enum TransferMode: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    /// Stop-and-wait: one packet in flight (the window-1 case of Go-Back-N).
    case stopAndWait = 1
    /// Go-Back-N: cumulative ACKs; a timeout resends the window from the oldest unacknowledged packet.
    case goBackN = 2
    /// Selective Repeat: SACKs; only the holes are resent, with fast retransmit.
    case selectiveRepeat = 3

    /// The short name used on the command line and in reports: sw, gbn, sr.
    public var shortName: String {
        switch self {
        case .stopAndWait: "sw"
        case .goBackN: "gbn"
        case .selectiveRepeat: "sr"
        }
    }

    public init?(shortName: String) {
        guard let mode = Self.allCases.first(where: { $0.shortName == shortName }) else { return nil }
        self = mode
    }

    public var description: String { shortName }
}
