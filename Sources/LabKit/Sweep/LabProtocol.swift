import RUDP

/// A protocol a sweep can measure: the three RUDP modes and the kernel TCP baseline.
public enum LabProtocol: String, Sendable, CaseIterable, Comparable, CustomStringConvertible {
    case stopAndWait = "sw"
    case goBackN = "gbn"
    case selectiveRepeat = "sr"
    case tcp = "tcp"

    /// The RUDP mode, or nil for TCP (which the simulator does not model).
    public var transferMode: TransferMode? {
        switch self {
        case .stopAndWait: .stopAndWait
        case .goBackN: .goBackN
        case .selectiveRepeat: .selectiveRepeat
        case .tcp: nil
        }
    }

    /// The name used on the command line, in CSV and in JSON: sw, gbn, sr, tcp.
    public var description: String { rawValue }

    /// The long name for reports: "stop-and-wait", "Go-Back-N", …
    public var title: String {
        switch self {
        case .stopAndWait: "stop-and-wait"
        case .goBackN: "Go-Back-N"
        case .selectiveRepeat: "Selective Repeat"
        case .tcp: "TCP"
        }
    }

    /// Whether the protocol uses the window setting (stop-and-wait is window 1; TCP sizes its own).
    public var usesWindow: Bool { self == .goBackN || self == .selectiveRepeat }

    public static func < (lhs: LabProtocol, rhs: LabProtocol) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}
