#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import SystemKit

/// Runs each transfer as real processes in two network namespaces joined by `lossproxy link`,
/// which impairs every IP packet both ways, so TCP and RUDP cross exactly the same link.
/// Needs Linux, root (or CAP_NET_ADMIN), `ip` and /dev/net/tun; `unavailableReason` says
/// which is missing and what to do, and then nothing is measured.
public final class LinkNetwork: SweepNetwork {
    let transfer: RealTransfer
    /// The namespaces' names, unique to this process.
    let namespaceA: String
    let namespaceB: String
    /// Address of the receiver's side of the link (lossproxy link's default for B).
    public static let receiverAddress = "10.77.0.2"
    /// Why the link cannot be used at all, found before the first run or at its first setup.
    public private(set) var unavailableReason: String?

    public init(programs: ProgramDirectory, workDirectory: String) {
        transfer = RealTransfer(programs: programs, workDirectory: workDirectory)
        namespaceA = "rudplab-a-\(getpid())"
        namespaceB = "rudplab-b-\(getpid())"
        unavailableReason = Self.preflight(programs, experiment: "the sweep",
                                           alternative: "use --network proxy (RUDP only) or sim")
    }

    /// Checks what `lossproxy link` needs; nil when everything is there. The reason names what
    /// to do: run `experiment` as root, or the `alternative` the caller offers, if any.
    static func preflight(_ programs: ProgramDirectory, experiment: String, alternative: String?) -> String? {
        let otherwise = alternative.map { "; or \($0)" } ?? ""
        #if !os(Linux)
        return "the TUN link needs Linux network namespaces\(otherwise)"
        #else
        let fix = "run \(experiment) as root (sudo) on Linux\(otherwise)"
        if geteuid() != 0 { return "the TUN link needs root to create network namespaces and TUN devices; \(fix)" }
        guard ipCommand != nil else { return "the 'ip' command (iproute2) is not installed; install iproute2, or \(fix)" }
        guard access("/dev/net/tun", R_OK | W_OK) == 0 else {
            return "/dev/net/tun is missing or not accessible (modprobe tun)\(otherwise)"
        }
        guard let proxy = try? programs.executable("lossproxy") else { return programs.missing("lossproxy") }
        guard let help = try? ChildProcess.launched(path: proxy, arguments: ["link", "--help"]),
              help.waitForExit(timeout: 10) == 0 else {
            return "this lossproxy has no working 'link' command\(otherwise)"
        }
        return nil
        #endif
    }

    static let ipCommand: String? = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"]
        .first { access($0, X_OK) == 0 }

    /// `lossproxy link` did not come up: it will not come up for a later run either.
    struct LinkSetupFailure: Error, CustomStringConvertible {
        let description: String
    }

    /// Starts `lossproxy link` between `namespaces` with `impairments` and waits until it reports
    /// `link up`; the caller stops it. Throws `LinkSetupFailure` when it does not come up.
    static func startLink(_ programs: ProgramDirectory, namespaces: (a: String, b: String),
                          impairments: [String]) throws -> ChildProcess {
        let link = try ChildProcess.launched(path: try programs.executable("lossproxy"),
                                             arguments: ["link", "--ns-a", namespaces.a, "--ns-b", namespaces.b] + impairments)
        guard link.waitForLine(on: .both, timeout: 15, where: { $0.hasPrefix("link up") }) != nil else {
            let reason = "lossproxy link did not come up: \(link.lastErrorLine ?? "no 'link up' line within 15 s")"
            link.stop(timeout: 10)
            throw LinkSetupFailure(description: reason)
        }
        return link
    }

    public func notMeasuredReason(for labProtocol: LabProtocol) -> String? {
        unavailableReason
    }

    public func run(_ condition: SweepCondition, repeatNumber: Int, plan: SweepPlan) -> RunRecord {
        if let unavailableReason { return .failed(condition, repeatNumber: repeatNumber, unavailableReason) }
        do {
            guard let ip = Self.ipCommand else { throw SweepError("ip command not found") }
            let seed = plan.seed(for: condition, repeatNumber: repeatNumber)
            let link = try Self.startLink(transfer.programs, namespaces: (namespaceA, namespaceB),
                                          impairments: RealTransfer.impairmentArguments(condition, seed: seed, plan: plan))
            defer { link.stop(timeout: 10) }
            let (receiver, port) = try transfer.startReceiver(
                listen: "\(Self.receiverAddress):0", prefix: [ip, "netns", "exec", namespaceB])
            defer { receiver.stop() }
            let record = try transfer.send(condition, repeatNumber: repeatNumber, plan: plan,
                                           to: "\(Self.receiverAddress):\(port)", prefix: [ip, "netns", "exec", namespaceA])
            receiver.waitForExit(timeout: 5)
            return record
        } catch let failure as LinkSetupFailure {
            // A link that cannot be set up once will not be set up later: stop measuring.
            unavailableReason = failure.description
            return .failed(condition, repeatNumber: repeatNumber, failure.description)
        } catch {
            return .failed(condition, repeatNumber: repeatNumber, "\(error)")
        }
    }
}
