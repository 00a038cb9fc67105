import CLIKit
import Foundation
import SystemKit
import Impairment

/// One transfer between real rudp-send and rudp-recv processes, the parts the proxy and link
/// networks share: input files, the receiver, the sender and the reading of its `--json` line.
struct RealTransfer {
    let programs: ProgramDirectory
    /// Scratch directory for input files and received copies.
    let workDirectory: String

    /// A file of `size` pseudo-random bytes, written once per size and reused.
    func inputFile(size: Int) throws -> String {
        let path = workDirectory + "/input-\(size).bin"
        if FileManager.default.fileExists(atPath: path) { return path }
        var random = SeededRandom(seed: UInt64(size), stream: "rudp-lab input")
        var bytes = [UInt8](repeating: 0, count: size)
        var index = 0
        while index < size {
            var word = random.next()
            for _ in 0..<8 where index < size {
                bytes[index] = UInt8(truncatingIfNeeded: word)
                word >>= 8
                index += 1
            }
        }
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else {
            throw SweepError("cannot write \(path)")
        }
        return path
    }

    /// Starts rudp-recv for one transfer (or, not `once`, for any number) and returns it with
    /// the port it listens on.
    func startReceiver(listen: String, prefix: [String], once: Bool = true) throws -> (ChildProcess, port: Int) {
        let receiverPath = try programs.executable("rudp-recv")
        let outDirectory = workDirectory + "/received"
        try FileManager.default.createDirectory(atPath: outDirectory, withIntermediateDirectories: true)
        // Patient enough for kernel TCP's retransmission backoff under heavy loss (a 51.2 s wait
        // at 20 % each way is TCP's own result, not a hang). A run records its sender's outcome and
        // stops the receiver 5 s after it, so an RUDP run does not wait for this.
        let command = prefix + [receiverPath, "--listen", listen, "--out", outDirectory, "--json",
                                "--overwrite", "--idle-timeout", "300s"] + (once ? ["--once"] : [])
        let receiver = try ChildProcess.launched(path: command[0], arguments: Array(command.dropFirst()))
        guard let line = receiver.waitForLine(on: .stderr, timeout: 10, where: { $0.contains("listening on") }),
              let port = Self.port(inListeningLine: line) else {
            receiver.stop()
            throw SweepError("rudp-recv did not start: \(receiver.lastErrorLine ?? "no 'listening on' line within 10 s")")
        }
        return (receiver, port)
    }

    /// Starts a lossproxy relay on loopback towards `target` with `condition`'s impairments (seeded
    /// per run) and returns it with the port it listens on; the caller stops it.
    func startRelay(to target: String, _ condition: SweepCondition, repeatNumber: Int, plan: SweepPlan) throws -> (ChildProcess, port: Int) {
        let proxy = try ChildProcess.launched(
            path: try programs.executable("lossproxy"),
            arguments: ["--listen", "127.0.0.1:0", "--to", target]
                + Self.impairmentArguments(condition, seed: plan.seed(for: condition, repeatNumber: repeatNumber), plan: plan))
        guard let line = proxy.waitForLine(on: .stderr, timeout: 10, where: { $0.contains("listening on") }),
              let port = Self.port(inListeningLine: line) else {
            proxy.stop()
            throw SweepError("lossproxy did not start: \(proxy.lastErrorLine ?? "no 'listening on' line within 10 s")")
        }
        return (proxy, port)
    }

    /// Runs rudp-send to `address` and turns its outcome into a record; the file is sent as
    /// `name`, or `run-REPEAT.bin` (a receiver of the lab's own, with --overwrite).
    func send(_ condition: SweepCondition, repeatNumber: Int, plan: SweepPlan, to address: String,
              prefix: [String], name: String? = nil) throws -> RunRecord {
        let senderPath = try programs.executable("rudp-send")
        let file = try inputFile(size: condition.size)
        let command = prefix + [senderPath]
            + Self.senderArguments(condition, plan: plan, file: file, address: address, repeatNumber: repeatNumber, name: name)
        let started = Date()
        let sender = try ChildProcess.launched(path: command[0], arguments: Array(command.dropFirst()))
        let status = sender.waitForExit(timeout: Self.timeLimit(condition, plan: plan))
        let elapsed = Date().timeIntervalSince(started)
        guard let status else {
            return .failed(condition, repeatNumber: repeatNumber, seconds: elapsed,
                           "rudp-send did not finish within \(Int(Self.timeLimit(condition, plan: plan))) s (killed)")
        }
        let summary = sender.stdoutLines.last { $0.hasPrefix("{") }.flatMap { try? JSONValue(parsing: $0) }
        guard status == 0, let summary, let seconds = summary["seconds"]?.doubleValue else {
            let reason = sender.lastErrorLine ?? "rudp-send exited with status \(status)"
            return .failed(condition, repeatNumber: repeatNumber, seconds: elapsed, reason)
        }
        let goodput = summary["goodput_mbps"]?.doubleValue
            ?? (seconds > 0 ? Double(condition.size) * 8 / seconds / 1e6 : nil)
        let isTCP = condition.labProtocol == .tcp
        return RunRecord(condition: condition, repeatNumber: repeatNumber, seconds: seconds, goodputMbps: goodput,
                         retransmissions: isTCP ? nil : summary["retransmissions"]?.intValue,
                         timeouts: isTCP ? nil : summary["timeouts"]?.intValue, ok: true,
                         congestionControl: summary[isTCP ? "tcp_cc" : "cc"]?.stringValue)
    }

    /// rudp-send's arguments for one run. The congestion control is always explicit (`--cc none`
    /// for the textbook sender), so a change of rudp-send's default cannot change what a sweep measures.
    static func senderArguments(_ condition: SweepCondition, plan: SweepPlan, file: String, address: String,
                                repeatNumber: Int, name: String? = nil) -> [String] {
        var arguments = [file, address, "--protocol", condition.labProtocol.rawValue,
                         "--name", name ?? "run-\(repeatNumber).bin", "--json", "--quiet"]
        arguments += condition.control.senderArguments
        if condition.labProtocol != .tcp {
            arguments += ["--window", String(condition.window ?? 1), "--mss", String(plan.mss),
                          "--max-retries", String(plan.maxRetries)]
            if case .fixed(let nanoseconds) = plan.retransmission { arguments += ["--rto", "\(nanoseconds)ns"] }
        }
        return arguments
    }

    /// Generous bound on one transfer: ten times the model's time, at least a minute.
    static func timeLimit(_ condition: SweepCondition, plan: SweepPlan) -> Double {
        let prediction = condition.prediction(mss: plan.mss, fixedTimeout: plan.fixedTimeout).goodputMbps
        let expected = prediction > 0 && prediction.isFinite ? Double(condition.size) * 8 / (prediction * 1e6) : 60
        return max(60, min(3_600, 10 * expected))
    }

    /// The port of `… listening on HOST:PORT…` (IPv4, [IPv6] or :PORT forms).
    static func port(inListeningLine line: String) -> Int? {
        guard let range = line.range(of: "listening on ") else { return nil }
        let address = line[range.upperBound...].prefix { !$0.isWhitespace && $0 != "," && $0 != ";" }
        guard let colon = address.lastIndex(of: ":") else { return nil }
        return Int(address[address.index(after: colon)...])
    }

    /// lossproxy's impairment flags for `condition`, both directions.
    static func impairmentArguments(_ condition: SweepCondition, seed: UInt64, plan: SweepPlan) -> [String] {
        var arguments = ["--loss", ReportNumbers.percentNumber(condition.loss) + "%", "--seed", String(seed)]
        if condition.delay > 0 { arguments += ["--delay", "\(condition.delay)ns"] }
        if condition.rate > 0 { arguments += ["--rate", "\(condition.rate)bit"] }
        if let queue = plan.queueLimit { arguments += ["--queue", String(queue)] }
        return arguments
    }
}
