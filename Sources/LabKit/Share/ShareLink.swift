#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import SystemKit

/// Runs a shared-bottleneck experiment as real processes: one `lossproxy link` (rate + queue)
/// between two namespaces, one rudp-recv and the probe's echo in B, the queue probe and one
/// rudp-send per flow in A, each sender stopped at the end (its progress is in its interval
/// reports, so a stopped sender still says how far it got).
public struct ShareLink {
    let programs: ProgramDirectory
    /// Scratch directory for the input file and the receiver's output.
    let workDirectory: String
    let namespaceA = "rudpshare-a-\(getpid())"
    let namespaceB = "rudpshare-b-\(getpid())"
    static let receiverAddress = LinkNetwork.receiverAddress

    public init(programs: ProgramDirectory, workDirectory: String) {
        self.programs = programs
        self.workDirectory = workDirectory
    }

    /// Why the experiment cannot run here (not Linux, not root, no ip or TUN, programs missing),
    /// with what to do; nil when it can.
    public func unavailableReason() -> String? {
        if let reason = LinkNetwork.preflight(programs, experiment: "rudp-lab share", alternative: nil) { return reason }
        for program in ["rudp-send", "rudp-recv", "rudp-lab"] {
            if (try? programs.executable(program)) == nil { return programs.missing(program) }
        }
        return nil
    }

    /// Checks that the kernel has every TCP variant the flows name.
    static func checkTCPVariants(_ plan: SharePlan) throws {
        let available = TCPCongestionControl.available
        guard !available.isEmpty else { return }
        for flow in plan.flows where flow.isTCP {
            if let name = flow.congestionControl, !available.contains(name) {
                throw SweepError("the kernel has no TCP congestion control '\(name)' (available: "
                    + "\(available.joined(separator: ", ")); modprobe tcp_\(name) may add it)")
            }
        }
    }

    /// Runs `plan`; `progress` hears what is happening, `shouldStop` ends it early (SIGINT).
    public func run(_ plan: SharePlan, progress: (String) -> Void, shouldStop: () -> Bool) throws -> ShareResults {
        try Self.checkTCPVariants(plan)
        guard let ip = LinkNetwork.ipCommand else { throw SweepError("the 'ip' command (iproute2) is not installed") }
        let inA = [ip, "netns", "exec", namespaceA]
        let inB = [ip, "netns", "exec", namespaceB]
        let started = Date()
        let file = try RealTransfer(programs: programs, workDirectory: workDirectory).inputFile(size: plan.fileSize)
        let link = try LinkNetwork.startLink(programs, namespaces: (namespaceA, namespaceB), impairments: linkImpairments(plan))
        defer { link.stop(timeout: 10) }
        let (receiver, port) = try RealTransfer(programs: programs, workDirectory: workDirectory)
            .startReceiver(listen: "\(Self.receiverAddress):0", prefix: inB, once: false)
        defer { receiver.stop() }
        let lab = try programs.executable("rudp-lab")
        let echo = try start(inB + [lab] + QueueProbeInterface.echoArguments(listen: "\(Self.receiverAddress):0"))
        defer { echo.stop() }
        guard let echoLine = echo.waitForLine(on: .stderr, timeout: 10, where: { $0.hasPrefix(WhyUDPPeerInterface.listeningPrefix) }),
              let echoPort = RealTransfer.port(inListeningLine: echoLine) else {
            throw SweepError("the probe's echo did not start: \(echo.lastErrorLine ?? "no 'listening on' line within 10 s")")
        }
        let probe = try start(inA + [lab] + QueueProbeInterface.arguments(to: "\(Self.receiverAddress):\(echoPort)",
                                                                          interval: plan.probeInterval))
        defer { probe.stop() }
        var children = [link, receiver, echo, probe]
        progress("measuring the idle link's RTT …")
        Self.pump(children, until: MonotonicClock.now() + plan.idleProbe, shouldStop: shouldStop)

        let origin = MonotonicClock.now()
        var senders: [ChildProcess] = []
        var launches: [UInt64] = []
        let senderPath = try programs.executable("rudp-send")
        for (index, flow) in plan.flows.enumerated() {
            Self.pump(children, until: origin + plan.startOffset(of: index), shouldStop: shouldStop)
            if shouldStop() { break }
            progress("flow \(index + 1) (\(flow)) starts at \(Double(plan.startOffset(of: index)) / 1e9) s …")
            let arguments = inA + [senderPath, file, "\(Self.receiverAddress):\(port)", "--name", "flow-\(index + 1).bin",
                                   "--json", "--quiet", "--interval", "\(plan.sampleInterval)ns", "--max-retries", "50"]
                + flow.senderArguments(window: plan.window, mss: plan.mss)
            let sender = try start(arguments)
            launches.append(MonotonicClock.now())
            senders.append(sender)
            children.append(sender)
        }
        progress("\(senders.count) flows share the link until \(Double(plan.duration) / 1e9) s …")
        Self.pump(children, until: origin + plan.duration, shouldStop: shouldStop)
        // Each sender's state at the end, before it is stopped: one that ended early says why.
        let earlyExits = senders.map { $0.isRunning ? nil : ($0.exitStatus, $0.lastErrorLine) }
        for sender in senders { sender.terminate() }
        for sender in senders { sender.waitForExit(timeout: 5) }
        probe.stop()
        let finished = Date()

        var flows: [FlowProgress] = []
        for (index, sender) in senders.enumerated() {
            let start = (Double(launches[index]) - Double(origin)) / 1e9
            var flow = FlowProgress.read(stdout: sender.stdoutLines, start: start, isTCP: plan.flows[index].isTCP)
            if let (status, line) = earlyExits[index], status != 0 {
                flow.failure = line ?? "rudp-send exited with status \(status.map(String.init) ?? "?")"
            }
            flows.append(flow)
        }
        if flows.count < plan.flows.count { throw SweepError("interrupted before every flow started") }
        let samples = QueueProbeInterface.samples(probe.stdoutLines, origin: origin)
        let duration = Double(plan.duration) / 1e9
        return ShareResults(plan: plan, flows: flows, queue: QueueDelay(samples: samples, duration: duration),
                            probe: samples, started: started, finished: finished)
    }

    func linkImpairments(_ plan: SharePlan) -> [String] {
        ["--rate", "\(plan.rate)bit", "--queue", String(plan.queueLimit), "--seed", String(plan.seed)]
            + (plan.delay > 0 ? ["--delay", "\(plan.delay)ns"] : [])
    }

    private func start(_ command: [String]) throws -> ChildProcess {
        try ChildProcess.launched(path: command[0], arguments: Array(command.dropFirst()))
    }

    /// Reads every child's output (so none blocks on a full pipe) until `deadline` or a stop.
    static func pump(_ children: [ChildProcess], until deadline: UInt64, shouldStop: () -> Bool) {
        while !shouldStop() {
            for child in children { child.readAvailable() }
            let now = MonotonicClock.now()
            guard now < deadline else { return }
            var entries = children.flatMap { [$0.stdoutDescriptor, $0.stderrDescriptor] }.filter { $0 >= 0 }
                .map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            let milliseconds = Int32(min(20, (deadline - now) / 1_000_000 + 1))
            _ = try? Posix.poll(&entries, count: entries.count, timeoutMilliseconds: milliseconds)
        }
    }
}
