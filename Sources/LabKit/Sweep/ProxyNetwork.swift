import SystemKit

/// Runs each transfer as real processes on loopback: rudp-recv, a lossproxy UDP relay impairing
/// both directions (seeded per run), and rudp-send. TCP cannot cross a UDP relay.
public struct ProxyNetwork: SweepNetwork {
    let transfer: RealTransfer

    /// - Parameters:
    ///   - programs: where rudp-send, rudp-recv and lossproxy are.
    ///   - workDirectory: an existing scratch directory for input and received files.
    public init(programs: ProgramDirectory, workDirectory: String) {
        transfer = RealTransfer(programs: programs, workDirectory: workDirectory)
    }

    public func notMeasuredReason(for labProtocol: LabProtocol) -> String? {
        labProtocol == .tcp
            ? "TCP cannot cross lossproxy's UDP relay; only --network link impairs TCP the same way" : nil
    }

    public func run(_ condition: SweepCondition, repeatNumber: Int, plan: SweepPlan) -> RunRecord {
        do {
            let proxyPath = try transfer.programs.executable("lossproxy")
            let (receiver, receiverPort) = try transfer.startReceiver(listen: "127.0.0.1:0", prefix: [])
            defer { receiver.stop() }
            let seed = plan.seed(for: condition, repeatNumber: repeatNumber)
            let proxy = try ChildProcess.launched(
                path: proxyPath,
                arguments: ["--listen", "127.0.0.1:0", "--to", "127.0.0.1:\(receiverPort)"]
                    + RealTransfer.impairmentArguments(condition, seed: seed, plan: plan))
            defer { proxy.stop() }
            guard let line = proxy.waitForLine(on: .stderr, timeout: 10, where: { $0.contains("listening on") }),
                  let proxyPort = RealTransfer.port(inListeningLine: line) else {
                return .failed(condition, repeatNumber: repeatNumber,
                               "lossproxy did not start: \(proxy.lastErrorLine ?? "no 'listening on' line within 10 s")")
            }
            let record = try transfer.send(condition, repeatNumber: repeatNumber, plan: plan,
                                           to: "127.0.0.1:\(proxyPort)", prefix: [])
            receiver.waitForExit(timeout: 5)
            return record
        } catch {
            return .failed(condition, repeatNumber: repeatNumber, "\(error)")
        }
    }
}
