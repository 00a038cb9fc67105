import CLIKit
import RUDP

/// One item of `rudp-lab sweep --cc`: the controller and the protocol it is for.
public struct ControlEntry: Equatable, Sendable, CustomStringConvertible {
    /// The protocol the item names (`sr:bbr`, `tcp:cubic`), or nil for every RUDP protocol
    /// of --protocols (`bbr`).
    public var labProtocol: LabProtocol?
    public var control: SenderControl

    public init(labProtocol: LabProtocol?, control: SenderControl) {
        self.labProtocol = labProtocol
        self.control = control
    }

    /// The item as it is written: `bbr`, `sr:cubic`, `tcp:bbr`, `tcp`.
    public var description: String {
        let name = control.name.map { ":" + $0 } ?? ""
        guard let labProtocol else { return control.name ?? "" }
        return labProtocol.rawValue + name
    }
}

/// `--cc LIST`: which congestion controls a sweep runs, as a grid dimension.
///
/// Notation, comma-separated and freely mixed:
/// - `none`, `reno`, `cubic`, `bbr`: that RUDP controller for every RUDP protocol of --protocols;
/// - `sw:…`, `gbn:…`, `sr:…`: for that protocol alone (`sr:bbr`);
/// - `tcp:NAME`: kernel TCP with congestion control NAME (`rudp-send --tcp-cc NAME`); `tcp`
///   alone is the system's default.
///
/// A protocol no item is for runs the sweep's default: the fixed window for RUDP (`none`, the
/// textbook sender), the system's default for TCP.
public enum ControlList {
    /// The kernel's names are at most 15 characters of letters, digits and underscores.
    static let kernelNameLimit = 15

    /// Parses the items; an error names the item and says what would be valid.
    public static func parse(_ text: String) throws -> [ControlEntry] {
        var entries: [ControlEntry] = []
        for item in try ValueParsers.list({ $0 })(text) {
            let entry = try parseItem(item)
            if !entries.contains(entry) { entries.append(entry) }
        }
        return entries
    }

    static func parseItem(_ item: String) throws -> ControlEntry {
        let rudpNames = CongestionAlgorithm.allCases.map(\.rawValue).joined(separator: ", ")
        guard let colon = item.firstIndex(of: ":") else {
            if item == "tcp" { return ControlEntry(labProtocol: .tcp, control: .tcp(nil)) }
            guard let algorithm = CongestionAlgorithm(rawValue: item) else {
                throw ValueError("unknown congestion control '\(item)': RUDP's are \(rudpNames); "
                    + "a kernel TCP variant is written tcp:NAME, e.g. tcp:\(item)")
            }
            return ControlEntry(labProtocol: nil, control: .rudp(algorithm))
        }
        let protocolName = String(item[..<colon])
        let name = String(item[item.index(after: colon)...])
        guard let labProtocol = LabProtocol(rawValue: protocolName) else {
            throw ValueError("'\(item)': '\(protocolName)' is not one of sw, gbn, sr, tcp")
        }
        if labProtocol == .tcp {
            guard !name.isEmpty, name.count <= kernelNameLimit,
                  name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else {
                throw ValueError("'\(item)': '\(name)' is not a kernel congestion control name "
                    + "(e.g. cubic, reno, bbr; see /proc/sys/net/ipv4/tcp_available_congestion_control)")
            }
            return ControlEntry(labProtocol: .tcp, control: .tcp(name))
        }
        guard let algorithm = CongestionAlgorithm(rawValue: name) else {
            throw ValueError("unknown congestion control '\(name)' in '\(item)': RUDP's are \(rudpNames)")
        }
        return ControlEntry(labProtocol: labProtocol, control: .rudp(algorithm))
    }

    /// The controls each protocol of `protocols` runs, in the order the items list them; a
    /// protocol no item is for gets its sweep default. Throws a one-line reason when an item
    /// cannot apply: its protocol is not swept, or TCP variants on a network without TCP.
    public static func resolve(_ entries: [ControlEntry], protocols: [LabProtocol],
                               network: NetworkKind) throws -> [LabProtocol: [SenderControl]] {
        for entry in entries {
            if let labProtocol = entry.labProtocol, !protocols.contains(labProtocol) {
                throw ValueError("--cc \(entry) is for \(labProtocol), which --protocols does not include")
            }
            if entry.labProtocol == nil, !protocols.contains(where: { $0 != .tcp }) {
                throw ValueError("--cc \(entry) is an RUDP controller and --protocols lists no RUDP protocol; "
                    + "for kernel TCP write tcp:\(entry)")
            }
            if entry.labProtocol == .tcp, network != .link && network != .external {
                throw ValueError("--cc \(entry): --network \(network) cannot run kernel TCP (the "
                    + (network == .sim ? "simulator does not model it" : "UDP relay cannot carry it")
                    + "); TCP variants are measured with --network link or external")
            }
        }
        var result: [LabProtocol: [SenderControl]] = [:]
        for labProtocol in protocols {
            var controls: [SenderControl] = []
            for entry in entries where entry.labProtocol == labProtocol
                || (entry.labProtocol == nil && entry.control.applies(to: labProtocol)) {
                if !controls.contains(entry.control) { controls.append(entry.control) }
            }
            result[labProtocol] = controls.isEmpty ? [SenderControl.sweepDefault(for: labProtocol)] : controls
        }
        return result
    }
}
