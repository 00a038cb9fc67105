import Impairment
import RUDP
import RUDPSim

/// Runs an `AnimationScenario` through the simulator (the real sender and receiving endpoint on
/// a virtual clock) and records it. The losses asked for are scripted drops of the link: the
/// datagram numbers are found by running the transfer, dropping the earliest wanted datagram
/// not yet dropped, and running again, until every wanted one is dropped (a drop changes only
/// what comes after it, so the earlier ones stay right).
public enum ScenarioRecorder {
    /// Fails with one line when a loss names a packet or an ACK the transfer never sends.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    public static func record(_ scenario: AnimationScenario, title: String? = nil, command: String? = nil) throws -> AnimationRun {
        for loss in scenario.dataLosses where loss.index >= scenario.packets || loss.index < 0 || loss.transmission < 1 {
            throw Failure(description: "no DATA \(loss) to lose: the transfer has packets 0 to \(scenario.packets - 1)")
        }
        var forwardDrops: Set<Int> = []
        var reverseDrops: Set<Int> = []
        let wanted = scenario.dataLosses.count + Set(scenario.ackLosses).count
        while true {
            let (recording, outcome) = simulate(scenario, forwardDrops: forwardDrops, reverseDrops: reverseDrops,
                                                title: title, command: command)
            guard let missing = earliestMissing(scenario, in: recording, forwardDrops: forwardDrops, reverseDrops: reverseDrops) else {
                guard !outcome.hung else { throw Failure(description: "the simulated transfer did not end: \(scenario.summary)") }
                return recording.run
            }
            guard forwardDrops.count + reverseDrops.count < wanted else {
                throw Failure(description: "could not place the losses of \(scenario.summary)")
            }
            switch missing {
            case .forward(let serial): forwardDrops.insert(serial)
            case .reverse(let serial): reverseDrops.insert(serial)
            case .absent(let what): throw Failure(description: "\(what) never happens in \(scenario.summary): nothing to lose")
            }
        }
    }

    private enum Missing {
        case forward(Int)
        case reverse(Int)
        case absent(String)
    }

    private static func simulate(_ scenario: AnimationScenario, forwardDrops: Set<Int>, reverseDrops: Set<Int>,
                                 title: String?, command: String?) -> (TransferRecording, TransferOutcome) {
        var transfer = TransferScenario(mode: scenario.mode, size: scenario.packets * scenario.mss, seed: 1)
        transfer.mss = scenario.mss
        transfer.window = scenario.window
        transfer.congestionControl = scenario.congestionControl
        transfer.retransmission = scenario.retransmission
        transfer.initialSequence = 1_000
        transfer.receiverAckFrequency = scenario.ackFrequency
        transfer.timeLimit = 600_000_000_000
        transfer.forward.delay = scenario.oneWayDelay
        transfer.reverse.delay = scenario.oneWayDelay
        for direction in [\TransferScenario.forward, \TransferScenario.reverse] {
            transfer[keyPath: direction].rate = scenario.rate
            transfer[keyPath: direction].rateOverhead = 28  // IPv4 and UDP headers, as on a real link
            transfer[keyPath: direction].queueLimit = 1 << 20  // a queue never drops: only the losses asked for
        }
        transfer.forward.scriptedDrops = forwardDrops.sorted().map { $0...$0 }
        transfer.reverse.scriptedDrops = reverseDrops.sorted().map { $0...$0 }
        let run = AnimationRun(
            title: title ?? scenario.summary, source: .simulation, protocolName: scenario.mode.shortName,
            window: scenario.effectiveWindow, packets: scenario.packets,
            congestionControl: scenario.congestionControl == .none ? nil : scenario.congestionControl.rawValue,
            oneWayDelay: TransferRecording.seconds(scenario.oneWayDelay), linkRate: Double(scenario.rate),
            command: command ?? (["rudp-lab", "animate"] + scenario.arguments).joined(separator: " "))
        let recording = TransferRecording(run: run, mode: scenario.mode, mss: scenario.mss,
                                          controlled: scenario.congestionControl != .none)
        let outcome = TransferSimulation.run(transfer, observers: recording.observers)
        recording.closeUnfinishedFlights(oneWayDelay: TransferRecording.seconds(scenario.oneWayDelay))
        return (recording, outcome)
    }

    /// The wanted loss whose datagram comes first among those not yet dropped.
    private static func earliestMissing(_ scenario: AnimationScenario, in recording: TransferRecording,
                                        forwardDrops: Set<Int>, reverseDrops: Set<Int>) -> Missing? {
        let flights = recording.run.flights
        var candidates: [(time: Double, missing: Missing)] = []
        for loss in scenario.dataLosses {
            guard let serial = recording.forwardSerials.first(where: { _, position in
                flights[position].kind == .data && flights[position].index == loss.index
                    && flights[position].transmission == loss.transmission
            })?.key else {
                // Perhaps only once an earlier loss is placed (a second sending needs a lost first one).
                candidates.append((.infinity, .absent("a \(AnimationFlight.ordinal(loss.transmission)) sending of DATA \(loss.index)")))
                continue
            }
            if !forwardDrops.contains(serial) { candidates.append((flights[recording.forwardSerials[serial]!].sent, .forward(serial))) }
        }
        let ackSerials = recording.reverseSerials.filter { flights[$0.value].kind == .ack }.keys.sorted()
        for ack in Set(scenario.ackLosses) {
            guard ack >= 0 && ack < ackSerials.count else {
                candidates.append((.infinity, .absent("a \(AnimationFlight.ordinal(ack + 1)) ACK")))
                continue
            }
            let serial = ackSerials[ack]
            if !reverseDrops.contains(serial) { candidates.append((flights[recording.reverseSerials[serial]!].sent, .reverse(serial))) }
        }
        return candidates.min { $0.time < $1.time }?.missing
    }
}
