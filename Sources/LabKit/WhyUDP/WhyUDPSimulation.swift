import Foundation
import Impairment
import RUDPSim

/// `why-udp` in the simulator: the real RUDP state machines and raw datagrams over the
/// impairment engine on a virtual clock. Deterministic. TCP is not modelled, so its rows say
/// "not measured on sim" instead of showing numbers.
public enum WhyUDPSimulation {
    /// Why TCP has no numbers on sim.
    public static let tcpNotMeasured =
        "TCP is not measured on sim: the simulator runs only UDP datagrams and the RUDP state machines; "
        + "--network link (root) measures kernel TCP over the same impaired link"

    /// Runs every stream and every exchange of `plan`; `progress` gets a line per step.
    public static func run(_ plan: WhyUDPPlan, progress: (String) -> Void = { _ in }) -> WhyUDPResults {
        let started = Date()
        var streams: [MessageStreamResult] = []
        for transport in WhyUDPTransport.allCases {
            progress("message stream over \(transport.title) …")
            streams.append(stream(transport, plan: plan))
        }
        var exchanges: [FirstResponseResult] = []
        for exchange in WhyUDPExchange.allCases {
            progress("request/response over \(exchange.title) …")
            exchanges.append(firstResponse(exchange, plan: plan))
        }
        var results = WhyUDPResults(plan: plan, streams: streams, exchanges: exchanges, started: started, finished: Date())
        if plan.migrationFileSize > 0 {
            progress("file transfer while the path rebinds every \(ReportNumbers.plain(Double(plan.rebindInterval) / 1e9, decimals: 1)) s …")
            results.migration = WhyUDPMigrationSimulation.run(plan)
            results.finished = Date()
        }
        return results
    }

    /// One transport's message stream.
    public static func stream(_ transport: WhyUDPTransport, plan: WhyUDPPlan) -> MessageStreamResult {
        let simulated: MessageTransport
        switch transport {
        case .udp: simulated = .udp
        case .rudpOrdered: simulated = .rudpOrdered
        case .rudpUnordered: simulated = .rudpUnordered
        case .rudpRedundant: simulated = .rudpRedundant
        case .tcp: return .notMeasured(.tcp, tcpNotMeasured)
        }
        var scenario = MessageScenario(transport: simulated, seed: plan.seed)
        scenario.messageSize = plan.messageSize
        scenario.count = plan.messageCount
        scenario.interval = plan.interval
        scenario.window = plan.window
        scenario.impairBoth(plan.impairment)
        let outcome = MessageSimulation.run(scenario)
        let first = outcome.sendTimes.first ?? 0
        var result = MessageStreamResult(
            transport: transport, sentMilliseconds: outcome.sendTimes.map { Double($0 - first) / 1e6 },
            latencyMilliseconds: outcome.latencies.map { $0.map { Double($0) / 1e6 } },
            retransmissions: transport == .udp ? nil : outcome.retransmissions, failure: outcome.failure)
        if transport == .rudpRedundant { result.redundantBytes = Int(outcome.redundantBytes) }
        return result
    }

    /// One transport's request/response trials, each with its own seed.
    public static func firstResponse(_ exchange: WhyUDPExchange, plan: WhyUDPPlan) -> FirstResponseResult {
        let transport: MessageRoundTripScenario.Transport
        switch exchange {
        case .udp: transport = .udp
        case .rudp: transport = .rudp
        case .rudpZeroRTT: transport = .rudpZeroRTT
        case .rudpZeroRTTToken: transport = .rudpZeroRTTToken
        case .tcp, .tcpFastOpen, .tcpFastOpenCookie: return .notMeasured(exchange, tcpNotMeasured)
        }
        let times = (0..<plan.requests).map { trial -> Double? in
            var scenario = MessageRoundTripScenario(
                transport: transport, seed: SeededRandom.streamSeed(plan.seed, stream: "why-udp request \(trial)"))
            scenario.messageSize = plan.messageSize
            scenario.responseSize = plan.responseSize
            scenario.impairBoth(plan.impairment)
            return MessageRoundTripSimulation.run(scenario).map { Double($0) / 1e6 }
        }
        return FirstResponseResult(exchange: exchange, milliseconds: times)
    }
}
