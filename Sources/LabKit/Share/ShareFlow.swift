import CLIKit
import RUDP

/// One flow of a shared-bottleneck experiment, as `--flows` names it: `sr:bbr` (an RUDP mode
/// and its controller), `tcp:cubic` (kernel TCP and its congestion control), `sr` or `tcp`
/// alone (rudp-send's default controller, the system's TCP), and for RUDP an optional window
/// cap, `sr:none:2048`.
public struct ShareFlow: Sendable, Equatable, CustomStringConvertible {
    public var labProtocol: LabProtocol
    /// RUDP: the controller (none, reno, cubic, bbr); TCP: the kernel's name (cubic, reno, bbr,
    /// …). nil: rudp-send's default, or the system's TCP default.
    public var congestionControl: String?
    /// The RUDP window cap in packets; nil takes the experiment's `--window` or rudp-send's default.
    public var window: Int?

    public init(_ labProtocol: LabProtocol, congestionControl: String? = nil, window: Int? = nil) {
        self.labProtocol = labProtocol
        self.congestionControl = congestionControl
        self.window = window
    }

    /// `sr:bbr`, `tcp:cubic`, `sr`, `sr:none:2048`: the flow as it was written.
    public var description: String {
        var text = labProtocol.rawValue
        if let congestionControl { text += ":" + congestionControl }
        if let window { text += (congestionControl == nil ? ":" : "") + ":\(window)" }
        return text
    }

    public var isTCP: Bool { labProtocol == .tcp }

    /// Parses one element of `--flows`.
    public static func parse(_ text: String) throws -> ShareFlow {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count <= 3, let labProtocol = LabProtocol(rawValue: parts[0].lowercased()) else {
            throw ValueError("'\(text)' is not a flow: PROTOCOL[:CC[:WINDOW]] with PROTOCOL sw, gbn, sr or tcp, "
                + "e.g. sr:bbr, tcp:cubic, sr:none:2048")
        }
        var flow = ShareFlow(labProtocol)
        if parts.count > 1, !parts[1].isEmpty {
            let name = parts[1].lowercased()
            if labProtocol == .tcp {
                guard name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }), name.count < 16 else {
                    throw ValueError("'\(text)': '\(parts[1])' is not a kernel TCP congestion control name (cubic, reno, bbr, …)")
                }
            } else {
                let known = CongestionAlgorithm.allCases.map(\.rawValue)
                guard known.contains(name) else {
                    throw ValueError("'\(text)': RUDP's controllers are \(known.joined(separator: ", "))")
                }
            }
            flow.congestionControl = name
        }
        if parts.count > 2 {
            guard labProtocol.usesWindow else {
                throw ValueError("'\(text)': a window applies to gbn and sr flows only")
            }
            flow.window = try ValueParsers.integer(in: 1...SenderConfiguration.maxWindow)(parts[2])
        }
        return flow
    }

    /// `--flows LIST`: comma-separated flows, at least one, at most 16.
    public static func parseList(_ text: String) throws -> [ShareFlow] {
        let flows = try text.split(separator: ",").map { try parse(String($0).trimmingCharacters(in: .whitespaces)) }
        guard !flows.isEmpty else { throw ValueError("'\(text)' lists no flow (e.g. sr:bbr,tcp:cubic)") }
        guard flows.count <= 16 else { throw ValueError("\(flows.count) flows: at most 16 share one link here") }
        return flows
    }

    /// rudp-send's arguments that make this flow (after FILE and ADDR); `window` is the
    /// experiment's cap for RUDP flows without their own.
    func senderArguments(window defaultWindow: Int?, mss: Int) -> [String] {
        if isTCP {
            return ["--protocol", "tcp"] + (congestionControl.map { ["--tcp-cc", $0] } ?? [])
        }
        var arguments = ["--protocol", labProtocol.rawValue, "--mss", String(mss)]
        if let congestionControl { arguments += ["--cc", congestionControl] }
        if labProtocol.usesWindow, let window = window ?? defaultWindow { arguments += ["--window", String(window)] }
        return arguments
    }

    /// Whether the flow slows down only on loss (Reno, CUBIC, a fixed window): it fills any queue
    /// until one overflows. `reported` is the controller the sender said it used, for a flow
    /// that left the choice to its default.
    func isLossBased(reported: String?) -> Bool {
        guard let name = congestionControl ?? reported else { return isUncontrolled }
        return !name.hasPrefix("bbr")
    }

    /// Whether the flow sends a fixed window whatever the path holds (`--cc none`, or sw/gbn's default).
    var isUncontrolled: Bool {
        !isTCP && (congestionControl == "none" || (congestionControl == nil && labProtocol != .selectiveRepeat))
    }
}
