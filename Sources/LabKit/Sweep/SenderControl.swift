import RUDP

/// The congestion control a condition's sender runs: one of RUDP's controllers, or a kernel
/// TCP variant. Part of the condition, so `sr none` and `sr bbr` are two series of one sweep.
public enum SenderControl: Hashable, Sendable {
    /// An RUDP sender with this controller; `.none` is the fixed window, the textbook sender.
    case rudp(CongestionAlgorithm)
    /// Kernel TCP with this `TCP_CONGESTION` name, or nil for the system's default.
    case tcp(String?)

    /// What a protocol runs when `--cc` names nothing for it: the fixed window for the RUDP
    /// modes (so that textbook sweeps stay textbook whatever rudp-send's own default is) and
    /// the system's default for TCP.
    public static func sweepDefault(for labProtocol: LabProtocol) -> SenderControl {
        labProtocol == .tcp ? .tcp(nil) : .rudp(.none)
    }

    /// Whether this applies to `labProtocol` (RUDP controllers to the RUDP modes, variants to TCP).
    public func applies(to labProtocol: LabProtocol) -> Bool {
        switch self {
        case .rudp: labProtocol != .tcp
        case .tcp: labProtocol == .tcp
        }
    }

    /// The controller's name as `--cc` writes it after the protocol: `none`, `bbr`, `cubic`;
    /// nil for TCP's unnamed system default.
    public var name: String? {
        switch self {
        case .rudp(let algorithm): algorithm.rawValue
        case .tcp(let variant): variant
        }
    }

    /// Whether the sender adapts its window to the path (everything but RUDP's fixed window).
    public var isAdaptive: Bool { self != .rudp(.none) }

    /// The RUDP controller, nil for TCP.
    public var algorithm: CongestionAlgorithm? {
        if case .rudp(let algorithm) = self { return algorithm }
        return nil
    }

    /// The rudp-send arguments that select it. Always explicit for RUDP: rudp-send's own
    /// default is not the sweep's to rely on.
    public var senderArguments: [String] {
        switch self {
        case .rudp(let algorithm): ["--cc", algorithm.rawValue]
        case .tcp(let variant): variant.map { ["--tcp-cc", $0] } ?? []
        }
    }

    /// How it reads in prose: "the fixed window", "BBR", "the kernel's default TCP".
    public var title: String {
        switch self {
        case .rudp(.none): "the fixed window (--cc none, the textbook sender)"
        case .rudp(.reno): "NewReno AIMD (--cc reno)"
        case .rudp(.cubic): "CUBIC (--cc cubic)"
        case .rudp(.bbr): "BBR v1 (--cc bbr)"
        case .tcp(nil): "the kernel's default congestion control"
        case .tcp(let variant?): "the kernel's \(variant) (--tcp-cc \(variant))"
        }
    }

    /// A stable number for run seeds.
    var seedValue: UInt64 {
        var hash: UInt64 = 0
        let text: String
        switch self {
        case .rudp(let algorithm): text = "rudp:" + algorithm.rawValue
        case .tcp(let variant): text = "tcp:" + (variant ?? "")
        }
        for byte in text.utf8 { hash = (hash &* 31) &+ UInt64(byte) }
        return hash
    }
}
