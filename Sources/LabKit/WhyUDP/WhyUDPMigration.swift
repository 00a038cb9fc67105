import Impairment
import RUDP
import RUDPSim

/// `why-udp`'s migration row: a file transfer while a NAT in front of the sender rebinds it to a
/// new source port every `WhyUDPPlan.rebindInterval` (as `lossproxy --rebind` does). A transport
/// keyed by the connection ID (RUDP, after path validation) carries on; one keyed by the
/// address and ports (TCP) loses its connection.
public struct MigrationResult: Sendable {
    /// "RUDP" or "TCP".
    public var transport: String
    /// Whether the whole file arrived and was confirmed.
    public var intact: Bool
    /// Seconds from the first packet to the sender's end (success or failure).
    public var seconds: Double?
    /// Times the receiver moved the transfer to a new address of the sender.
    public var migrations: Int?
    /// The longest time the sender heard no acknowledgement, in milliseconds (the start excepted).
    public var longestStallMilliseconds: Double?
    /// The sender's retransmission timeout when that stall began, in milliseconds: a stall within
    /// it cost no more than one timeout.
    public var timeoutAtLongestStallMilliseconds: Double?
    /// How a transfer that did not arrive ended, in one line.
    public var failure: String?
    /// Why the transport was not measured here; numbers are never invented.
    public var notMeasured: String?

    public init(transport: String, intact: Bool) {
        self.transport = transport
        self.intact = intact
    }

    public static func notMeasured(_ transport: String, _ reason: String) -> MigrationResult {
        var result = MigrationResult(transport: transport, intact: false)
        result.notMeasured = reason
        return result
    }
}

/// The migration row on the simulator: the real RUDP state machines, the sender's address
/// changing every interval, the link's loss and delay.
public enum WhyUDPMigrationSimulation {
    public static func run(_ plan: WhyUDPPlan) -> [MigrationResult] {
        var scenario = TransferScenario(mode: .selectiveRepeat, size: plan.migrationFileSize, seed: plan.seed)
        scenario.mss = 1_200
        scenario.window = 1_024
        scenario.congestionControl = .bbr
        var link = plan.impairment
        link.rate = plan.migrationRate
        link.queueLimit = 100
        scenario.impairBoth(link)
        scenario.rebindInterval = plan.rebindInterval
        var acknowledgements: [(time: UInt64, rto: UInt64?)] = []
        var rto: UInt64?
        let outcome = TransferSimulation.run(scenario) { time, event in
            switch event {
            case .acknowledged: acknowledgements.append((time, rto))
            case .rtoChanged(let value, _): rto = value
            default: break
            }
        }
        var rudp = MigrationResult(transport: "RUDP", intact: outcome.delivered)
        rudp.seconds = outcome.senderEndTime.map { Double($0) / 1e9 }
        rudp.migrations = outcome.migrations
        // From the second acknowledgement on: the first waits for the handshake.
        let gaps = zip(acknowledgements.dropFirst(), acknowledgements.dropFirst(2)).map { ($1.time - $0.time, $0.rto) }
        if let longest = gaps.max(by: { $0.0 < $1.0 }) {
            rudp.longestStallMilliseconds = Double(longest.0) / 1e6
            rudp.timeoutAtLongestStallMilliseconds = longest.1.map { Double($0) / 1e6 }
        }
        if !outcome.delivered { rudp.failure = "\(outcome.senderState)" }
        return [rudp, .notMeasured("TCP", WhyUDPSimulation.tcpNotMeasured)]
    }
}
