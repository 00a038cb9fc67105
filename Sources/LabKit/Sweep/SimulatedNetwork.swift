import Impairment
import RUDP
import RUDPSim

/// Runs transfers in-process with `TransferSimulation`: the real sender and receiver state
/// machines over the impairment engine on a virtual clock. Deterministic; TCP is not modelled.
public struct SimulatedNetwork: SweepNetwork {
    /// Bytes of IPv4 and UDP headers charged to every datagram at the rate limiter, as the
    /// relay and a real link count them.
    public static let ipAndUDPOverhead = 28

    public init() {}

    public func notMeasuredReason(for labProtocol: LabProtocol) -> String? {
        labProtocol == .tcp
            ? "the simulator runs only the RUDP state machines; TCP is measured with --network link" : nil
    }

    public func run(_ condition: SweepCondition, repeatNumber: Int, plan: SweepPlan) -> RunRecord {
        guard let mode = condition.labProtocol.transferMode else {
            return .failed(condition, repeatNumber: repeatNumber, notMeasuredReason(for: condition.labProtocol)!)
        }
        let scenario = Self.scenario(condition, mode: mode, seed: plan.seed(for: condition, repeatNumber: repeatNumber),
                                     plan: plan)
        let outcome = TransferSimulation.run(scenario)
        let seconds = outcome.senderEndTime.map { Double($0) / 1e9 }
        let statistics = outcome.senderStatistics
        guard outcome.delivered else {
            var record = RunRecord.failed(condition, repeatNumber: repeatNumber, seconds: seconds,
                                          Self.failureReason(outcome))
            record.retransmissions = statistics.retransmissions
            record.timeouts = statistics.timeouts
            return record
        }
        return RunRecord(condition: condition, repeatNumber: repeatNumber, seconds: seconds,
                         goodputMbps: outcome.goodputMbps(size: condition.size),
                         retransmissions: statistics.retransmissions, timeouts: statistics.timeouts, ok: true,
                         congestionControl: scenario.congestionControl.rawValue)
    }

    /// The simulated transfer for `condition`.
    public static func scenario(_ condition: SweepCondition, mode: TransferMode, seed: UInt64,
                                plan: SweepPlan) -> TransferScenario {
        var scenario = TransferScenario(mode: mode, size: condition.size, seed: seed)
        scenario.mss = plan.mss
        scenario.window = condition.window ?? 1
        scenario.congestionControl = condition.control.algorithm ?? .none
        scenario.retransmission = plan.retransmission
        scenario.maxRetries = plan.maxRetries
        var link = ImpairmentConfig()
        link.loss = condition.loss
        link.delay = condition.delay
        link.rate = condition.rate
        link.rateOverhead = ipAndUDPOverhead
        if let queue = plan.queueLimit { link.queueLimit = queue }
        scenario.impairBoth(link)
        return scenario
    }

    private static func failureReason(_ outcome: TransferOutcome) -> String {
        if outcome.hung { return "simulation made no progress (hung)" }
        if case .failed(let error) = outcome.senderState { return "sender failed: \(error)" }
        if !outcome.deliveredBytesMatch { return "delivered bytes differ from those sent" }
        return "transfer did not complete (sender \(outcome.senderState))"
    }
}
