// The message campaign: one seed makes one stream of small messages over an impaired link, and
// one rule judges its outcome. Where the transfer campaign (CampaignGenerator) sends files, whose
// packets are full and so never carry copies, this one writes messages smaller than a packet:
// it is where redundancy (copies of earlier messages in each DATA packet) and unordered delivery
// meet every impairment. Imports no test framework, as CampaignGenerator.

import Impairment
import RUDP
import RUDPSim

/// Makes a message scenario from a seed.
enum MessageCampaign {
    static func scenario(seed: UInt64) -> MessageScenario {
        var random = SeededRandom(seed: seed, stream: "message-campaign")
        let transports: [MessageTransport] = [.rudpOrdered, .rudpUnordered, .rudpRedundant, .rudpRedundant]
        var scenario = MessageScenario(transport: transports[Int(random.nextBelow(UInt64(transports.count)))], seed: seed)
        // From the smallest stamped message to half a packet: up to RedundantPayload.maxCopies
        // earlier messages may fit beside one.
        scenario.messageSize = MessageStamp.minimumSize + Int(random.nextBelow(UInt64(MessageSenderDefaults.mss / 2)))
        scenario.count = 1 + Int(random.nextBelow(150))
        scenario.interval = random.nextBool(probability: 0.2) ? 0 : 100_000 + random.nextBelow(30_000_000)
        scenario.window = 1 + Int(random.nextBelow(128))
        if scenario.transport == .rudpRedundant { scenario.redundancy = 1 + Int(random.nextBelow(UInt64(RedundantPayload.maxCopies))) }
        scenario.forward = CampaignGenerator.link(&random)
        scenario.reverse = random.nextBool(probability: 0.5) ? scenario.forward : CampaignGenerator.link(&random)
        // Heavier loss, more patience: giving up is allowed (both sides then fail) but should be rare.
        scenario.maxRetries = 10 + Int(max(scenario.forward.loss, scenario.reverse.loss) * 100) + Int(random.nextBelow(10))
        scenario.congestionControl = CongestionAlgorithm.allCases[Int(random.nextBelow(UInt64(CongestionAlgorithm.allCases.count)))]
        scenario.drainLimit = 48 * 3_600 * 1_000_000_000
        return scenario
    }
}

/// The message campaign's rule: every message reaches the receiving application exactly once and
/// intact, and the sender finishes; or the sender gives up (loss beyond its patience). Never a
/// message twice, damaged or made up, never success with one missing, never a hang.
enum MessageCampaignVerdict: Equatable, Sendable {
    case delivered
    /// The sender gave up; what arrived before was intact and delivered once.
    case senderGaveUp
    case violation(String)

    init(_ outcome: MessageOutcome) {
        if outcome.integrityViolated {
            self = .violation("a message reached the application twice, damaged, or not as sent")
        } else if outcome.hung {
            self = .violation("hung: \(outcome.failure ?? "")")
        } else if outcome.senderFinished {
            self = outcome.lost == 0 ? .delivered : .violation("the sender finished with \(outcome.lost) message(s) never delivered")
        } else {
            self = .senderGaveUp
        }
    }

    var label: String {
        switch self {
        case .delivered: "delivered"
        case .senderGaveUp: "sender gave up"
        case .violation: "VIOLATION"
        }
    }
}
