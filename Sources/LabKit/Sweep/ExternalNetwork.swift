#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CLIKit
import Foundation
import SystemKit

/// Runs each transfer from this machine to a `rudp-recv` that the user started on another
/// machine (which serves the TCP baseline on the same port): the real network between two lab
/// PCs or over the campus Wi-Fi. A condition with loss, delay or a rate adds them on top of that
/// path through a local lossproxy relay, which can carry RUDP only; TCP is measured over the
/// bare path, where the conditions add nothing.
public final class ExternalNetwork: SweepNetwork {
    let transfer: RealTransfer
    /// The far receiver, HOST:PORT as the user gave it.
    public let target: String
    /// What the sweep learnt of the far end and the path before the first run (`preflight`).
    public private(set) var farEnd: [(String, String)] = []
    /// Transfers so far: each gets a name of its own, so the far receiver needs no --overwrite.
    private var sent = 0
    private let stamp: String

    public init(programs: ProgramDirectory, workDirectory: String, target: String, date: Date = Date()) {
        transfer = RealTransfer(programs: programs, workDirectory: workDirectory)
        self.target = target
        // Date and process: two sweeps within a second, or at once, never pick the same names.
        stamp = RunEnvironment.isoDate(date).filter { $0.isNumber } + "-\(getpid())"
    }

    /// Sends one small file to the far receiver, so that a sweep against nobody fails at once with
    /// the reason, and records what the path showed (round trip, local route) as `farEnd`.
    public func preflight() throws {
        let sender = try transfer.programs.executable("rudp-send")
        let file = try transfer.inputFile(size: 12_000)
        let probe = try ChildProcess.launched(path: sender, arguments: [
            file, target, "--protocol", "sr", "--name", "rudp-lab-\(stamp)-preflight.bin", "--json", "--quiet",
            "--max-retries", "4",
        ])
        guard probe.waitForExit(timeout: 60) == 0,
              let line = probe.stdoutLines.last(where: { $0.hasPrefix("{") }), let summary = try? JSONValue(parsing: line) else {
            let reason = probe.lastErrorLine ?? "no answer within 60 s"
            throw SweepError("the probe transfer to \(target) failed (\(reason)); is 'rudp-recv --listen :PORT --out DIR' "
                + "running on the other machine, with UDP and TCP to that port allowed?")
        }
        farEnd = [("far end", "rudp-recv at \(target), started by hand")]
        if let rtt = summary["rtt_ms"], let low = rtt["min"]?.doubleValue, let mean = rtt["mean"]?.doubleValue {
            farEnd.append(("round trip before the sweep (12 kB probe, min / mean)",
                           "\(ReportNumbers.plain(low, decimals: 3)) / \(ReportNumbers.plain(mean, decimals: 3)) ms"))
        }
        if let route = Self.route(to: target) { farEnd.append(("route from this machine", route)) }
    }

    /// `ip route get HOST`'s first line (interface, source address, gateway), if `ip` is there.
    static func route(to target: String) -> String? {
        guard let ip = LinkNetwork.ipCommand, let colon = target.lastIndex(of: ":") else { return nil }
        let host = target[..<colon].trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        guard !host.isEmpty, let lookup = try? ChildProcess.launched(path: ip, arguments: ["route", "get", host]),
              lookup.waitForExit(timeout: 5) == 0, let first = lookup.stdoutLines.first else { return nil }
        return first.split(separator: " ").joined(separator: " ")
    }

    public func notMeasuredReason(for labProtocol: LabProtocol) -> String? { nil }

    /// Whether `condition` adds anything to the real path.
    static func impairs(_ condition: SweepCondition) -> Bool {
        condition.loss > 0 || condition.delay > 0 || condition.rate > 0
    }

    public func run(_ condition: SweepCondition, repeatNumber: Int, plan: SweepPlan) -> RunRecord {
        sent += 1
        let name = "rudp-lab-\(stamp)-\(sent).bin"
        guard Self.impairs(condition) else {
            do {
                return try transfer.send(condition, repeatNumber: repeatNumber, plan: plan, to: target, prefix: [], name: name)
            } catch {
                return .failed(condition, repeatNumber: repeatNumber, "\(error)")
            }
        }
        if condition.labProtocol == .tcp {
            return .failed(condition, repeatNumber: repeatNumber,
                           "TCP cannot cross lossproxy's UDP relay: TCP is measured over the bare path (loss 0, delay 0, rate unlimited)")
        }
        do {
            let (proxy, proxyPort) = try transfer.startRelay(to: target, condition, repeatNumber: repeatNumber, plan: plan)
            defer { proxy.stop() }
            return try transfer.send(condition, repeatNumber: repeatNumber, plan: plan, to: "127.0.0.1:\(proxyPort)",
                                     prefix: [], name: name)
        } catch {
            return .failed(condition, repeatNumber: repeatNumber, "\(error)")
        }
    }
}
