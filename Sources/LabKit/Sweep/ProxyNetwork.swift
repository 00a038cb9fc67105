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
            let (receiver, receiverPort) = try transfer.startReceiver(listen: "127.0.0.1:0", prefix: [])
            defer { receiver.stop() }
            let (proxy, proxyPort) = try transfer.startRelay(to: "127.0.0.1:\(receiverPort)", condition,
                                                             repeatNumber: repeatNumber, plan: plan)
            defer { proxy.stop() }
            let record = try transfer.send(condition, repeatNumber: repeatNumber, plan: plan,
                                           to: "127.0.0.1:\(proxyPort)", prefix: [])
            receiver.waitForExit(timeout: 5)
            return record
        } catch {
            return .failed(condition, repeatNumber: repeatNumber, "\(error)")
        }
    }
}
