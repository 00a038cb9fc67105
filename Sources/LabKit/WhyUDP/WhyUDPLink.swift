#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import SystemKit

/// `why-udp` over the real network: `lossproxy link` joins two network namespaces through an
/// impaired TUN link, and `rudp-lab why-udp-peer` processes send from side A and receive on
/// side B, over UDP, kernel TCP and RUDP, all crossing the same impairments.
public final class WhyUDPLinkRunner {
    let programs: ProgramDirectory
    let namespaceA: String
    let namespaceB: String
    /// Why the link cannot be used here (nil when it can), with what to do about it.
    public private(set) var unavailableReason: String?

    public init(programs: ProgramDirectory) {
        self.programs = programs
        namespaceA = "whyudp-a-\(getpid())"
        namespaceB = "whyudp-b-\(getpid())"
        unavailableReason = LinkNetwork.preflight(programs, experiment: "rudp-lab why-udp --network link", alternative: nil)
        if unavailableReason == nil, (try? programs.executable("rudp-lab")) == nil {
            unavailableReason = "rudp-lab is not in \(programs.path) beside lossproxy; build every program first "
                + "(swift build -c release)"
        }
    }

    /// Sets up the link, measures every stream and exchange of `plan`, and takes the link down.
    /// `shouldStop` is asked between steps (an interrupted run returns what it has).
    public func run(_ plan: WhyUDPPlan, shouldStop: () -> Bool, progress: (String) -> Void) throws -> WhyUDPResults {
        if let unavailableReason { throw SweepError(unavailableReason) }
        let started = Date()
        progress("setting up lossproxy link between \(namespaceA) and \(namespaceB) …")
        var impairments = ["--loss", ReportNumbers.percentNumber(plan.loss) + "%", "--seed", String(plan.seed)]
        if plan.delay > 0 { impairments += ["--delay", "\(plan.delay)ns"] }
        let link: ChildProcess
        do {
            link = try LinkNetwork.startLink(programs, namespaces: (namespaceA, namespaceB), impairments: impairments)
        } catch let failure as LinkNetwork.LinkSetupFailure {
            unavailableReason = failure.description
            throw SweepError(failure.description)
        }
        defer { link.stop(timeout: 10) }
        var streams: [MessageStreamResult] = []
        for transport in WhyUDPTransport.allCases where !shouldStop() {
            progress("message stream over \(transport.title): \(plan.messageCount) messages, "
                + "\(ReportNumbers.plain(Double(plan.duration) / 1e9, decimals: 1)) s …")
            streams.append(stream(transport, plan: plan, shouldStop: shouldStop))
        }
        var exchanges: [FirstResponseResult] = []
        let fastOpenUnavailable = enableFastOpen()
        for exchange in WhyUDPExchange.allCases where !shouldStop() {
            if let fastOpenUnavailable, exchange == .tcpFastOpen || exchange == .tcpFastOpenCookie {
                exchanges.append(.notMeasured(exchange, "\(exchange.title) was not measured: \(fastOpenUnavailable)"))
                continue
            }
            progress("request/response over \(exchange.title): \(plan.requests) trials …")
            exchanges.append(firstResponse(exchange, plan: plan, shouldStop: shouldStop))
        }
        var results = WhyUDPResults(plan: plan, streams: streams, exchanges: exchanges, started: started, finished: Date())
        if plan.migrationFileSize > 0 && !shouldStop() {
            link.stop(timeout: 10)  // the migration row needs a link of its own, with --rebind
            results.migration = migration(plan, impairments: impairments, progress: progress)
            results.finished = Date()
        }
        return results
    }

    /// Turns TCP Fast Open on for clients and servers (`net.ipv4.tcp_fastopen=3`) inside the two
    /// namespaces this run created, which are gone with the link: the host's own setting is
    /// never touched. Returns why it could not, or nil.
    func enableFastOpen() -> String? {
        guard let ip = LinkNetwork.ipCommand else { return "the ip command (iproute2) is not installed" }
        for namespace in [namespaceA, namespaceB] {
            let arguments = ["netns", "exec", namespace, "sysctl", "-q", "-w", "net.ipv4.tcp_fastopen=3"]
            guard let sysctl = try? ChildProcess.launched(path: ip, arguments: arguments) else {
                return "ip netns exec \(namespace) sysctl could not be started"
            }
            guard sysctl.waitForExit(timeout: 10) == 0 else {
                return "net.ipv4.tcp_fastopen could not be set in \(namespace): \(sysctl.lastErrorLine ?? "sysctl failed")"
            }
        }
        return nil
    }

    /// Starts a peer inside `namespace`.
    func peer(in namespace: String, _ arguments: [String]) throws -> ChildProcess {
        guard let ip = LinkNetwork.ipCommand else { throw SweepError("the ip command (iproute2) is not installed") }
        return try ChildProcess.launched(path: ip, arguments: ["netns", "exec", namespace, try programs.executable("rudp-lab")]
                                       + arguments)
    }

    /// Starts a listening peer on side B and returns it with the address to reach it at.
    func listeningPeer(_ arguments: [String]) throws -> (ChildProcess, address: String) {
        let program = try peer(in: namespaceB, arguments)
        guard let line = program.waitForLine(on: .stderr, timeout: 10, where: { $0.hasPrefix(WhyUDPPeerInterface.listeningPrefix) }),
              let port = RealTransfer.port(inListeningLine: line) else {
            program.stop()
            throw SweepError("why-udp-peer did not start: \(program.lastErrorLine ?? "no 'listening on' line within 10 s")")
        }
        return (program, "\(LinkNetwork.receiverAddress):\(port)")
    }

    /// Waits for `program` to exit, up to `limit` seconds (then it is killed), or until
    /// `shouldStop` says so (then it is stopped); returns its status, nil if it had to be ended.
    func waitForExit(_ program: ChildProcess, limit: Double, shouldStop: () -> Bool) -> Int32? {
        let deadline = Date().addingTimeInterval(limit)
        while program.isRunning && Date() < deadline && !shouldStop() {
            // Reads the program's output meanwhile, so a full pipe never blocks it.
            program.waitForOutput(milliseconds: 250)
            program.readAvailable()
        }
        if program.isRunning {
            program.stop()
            return nil
        }
        return program.waitForExit(timeout: 5)
    }

    func stream(_ transport: WhyUDPTransport, plan: WhyUDPPlan, shouldStop: () -> Bool) -> MessageStreamResult {
        do {
            let (sink, address) = try listeningPeer(WhyUDPPeerInterface.sinkArguments(
                transport, listen: "\(LinkNetwork.receiverAddress):0", plan: plan))
            defer { sink.stop() }
            let source = try peer(in: namespaceA, WhyUDPPeerInterface.sourceArguments(transport, to: address, plan: plan))
            let limit = Double(plan.duration) / 1e9 + 120
            let status = waitForExit(source, limit: limit, shouldStop: shouldStop)
            // The sink ends by itself once everything arrived (or after its idle time); a stop
            // (SIGTERM) makes it print what it has.
            if sink.waitForLine(on: .both, timeout: 10, where: { $0 == WhyUDPPeerInterface.doneLine }) == nil { sink.stop() }
            var failure: String?
            if status == nil {
                failure = "the source did not finish within \(Int(limit)) s"
            } else if status != 0 {
                failure = "the source failed: \(source.lastErrorLine ?? "exit status \(status!)")"
            }
            return Self.streamResult(transport, sourceLines: source.stdoutLines, sinkLines: sink.stdoutLines,
                                     failure: failure)
        } catch {
            var result = MessageStreamResult(transport: transport, sentMilliseconds: [], latencyMilliseconds: [])
            result.failure = "\(error)"
            return result
        }
    }

    /// Joins the source's send log and the sink's arrival log into per-message latencies.
    static func streamResult(_ transport: WhyUDPTransport, sourceLines: [String], sinkLines: [String],
                             failure: String?) -> MessageStreamResult {
        var sent: [Int: UInt64] = [:]
        var retransmissions: Int?
        var redundantBytes: Int?
        for line in sourceLines {
            if let fields = WhyUDPPeerInterface.fields(line, keyword: "sent"), fields.count == 2,
               let index = Int(fields[0]), let time = UInt64(fields[1]) {
                sent[index] = time
            } else if let fields = WhyUDPPeerInterface.fields(line, keyword: "retransmissions"), let count = fields.first.flatMap({ Int($0) }) {
                retransmissions = count
            } else if let fields = WhyUDPPeerInterface.fields(line, keyword: "redundant_bytes"), let bytes = fields.first.flatMap({ Int($0) }) {
                redundantBytes = bytes
            }
        }
        var arrived: [Int: (sent: UInt64, arrived: UInt64)] = [:]
        for line in sinkLines {
            guard let fields = WhyUDPPeerInterface.fields(line, keyword: "arrived"), fields.count == 3,
                  let index = Int(fields[0]), let stamp = UInt64(fields[1]), let time = UInt64(fields[2]) else { continue }
            arrived[index] = (stamp, time)
        }
        let count = max(sent.keys.max().map { $0 + 1 } ?? 0, 0)
        let first = sent.values.min() ?? 0
        var sentMilliseconds: [Double] = []
        var latencies: [Double?] = []
        for index in 0..<count {
            let sentAt = sent[index] ?? arrived[index]?.sent ?? first
            sentMilliseconds.append(Double(sentAt - min(first, sentAt)) / 1e6)
            latencies.append(arrived[index].map { Double($0.arrived >= $0.sent ? $0.arrived - $0.sent : 0) / 1e6 })
        }
        var result = MessageStreamResult(transport: transport, sentMilliseconds: sentMilliseconds, latencyMilliseconds: latencies,
                                         retransmissions: transport == .udp || transport == .tcp ? nil : retransmissions,
                                         failure: failure ?? (count == 0 ? "no message was sent" : nil))
        result.redundantBytes = transport == .rudpRedundant ? redundantBytes : nil
        return result
    }

    func firstResponse(_ exchange: WhyUDPExchange, plan: WhyUDPPlan, shouldStop: () -> Bool) -> FirstResponseResult {
        do {
            let (server, address) = try listeningPeer(WhyUDPPeerInterface.echoArguments(
                exchange, listen: "\(LinkNetwork.receiverAddress):0", plan: plan))
            defer { server.stop() }
            let client = try peer(in: namespaceA, WhyUDPPeerInterface.askArguments(exchange, to: address, plan: plan))
            let status = waitForExit(client, limit: Double(plan.requests) * 6 + 30, shouldStop: shouldStop)
            var times = [Double?](repeating: nil, count: plan.requests)
            for line in client.stdoutLines {
                guard let fields = WhyUDPPeerInterface.fields(line, keyword: "trial"), fields.count == 2,
                      let index = Int(fields[0]), index >= 0, index < times.count else { continue }
                times[index] = UInt64(fields[1]).map { Double($0) / 1e6 }
            }
            guard status == 0 else {
                return .notMeasured(exchange, "\(exchange.title) request/response was not measured: the client failed "
                    + "(\(client.lastErrorLine ?? "killed after its time limit"))")
            }
            return FirstResponseResult(exchange: exchange, milliseconds: times)
        } catch {
            return .notMeasured(exchange, "\(exchange.title) request/response was not measured: \(error)")
        }
    }
}
