// The randomized simulation campaign: one seed makes one scenario, and one rule judges its
// outcome. Used by CampaignTests (`swift test`, the quick profile) and compiled as well into
// scripts/simulate.sh (the full profile, release build); so this file imports no test framework.

import Impairment
import RUDP
import RUDPSim

/// How large the campaign's scenarios may get.
enum CampaignProfile: String, Sendable {
    /// Small transfers (at most 64 packets) so a debug-build test runs a thousand quickly.
    case quick
    /// Transfers up to a couple of thousand packets, for scripts/simulate.sh in a release build.
    case full

    var maxPackets: Int { self == .quick ? 64 : 2_500 }
}

/// Makes a scenario from a seed: every impairment the issue names, drawn at random.
enum CampaignGenerator {
    static let mssChoices = [1, 2, 3, 7, 100, 536, 1_000, 1_200, 1_200, 1_200, 1_472, 4_096, 8_972]

    static func scenario(seed: UInt64, profile: CampaignProfile) -> TransferScenario {
        var random = SeededRandom(seed: seed, stream: "campaign-\(profile.rawValue)")
        let mode = TransferMode.allCases[Int(random.nextBelow(3))]
        let mss = mssChoices[Int(random.nextBelow(UInt64(mssChoices.count)))]
        // About log-uniform over 1...1024: small windows are as interesting as large ones.
        let octave = Int(random.nextBelow(11))
        let window = min(1_024, (1 << octave) + Int(random.nextBelow(UInt64(1) << octave)))
        let size = boundarySize(&random, mss: mss, window: mode == .stopAndWait ? 1 : window, profile: profile)
        var scenario = TransferScenario(mode: mode, size: size, seed: seed)
        scenario.mss = mss
        scenario.window = window

        let packets = UInt32(size / mss + 2)
        scenario.initialSequence = switch random.nextBelow(8) {
        case 0: UInt32(truncatingIfNeeded: random.next())
        case 1: (UInt32(1) << 31) &- UInt32(random.nextBelow(UInt64(packets)))  // across the signed half-way point
        default: UInt32.max &- UInt32(random.nextBelow(UInt64(packets)))       // across the 2^32 wrap
        }

        scenario.forward = link(&random)
        scenario.reverse = random.nextBool(probability: 0.5) ? scenario.forward : link(&random)
        let worstLoss = max(scenario.forward.loss, scenario.reverse.loss)
        if random.nextBool(probability: 0.15) {
            scenario.retransmission = .fixed(50_000_000 + random.nextBelow(1_950_000_000))
        }
        // The heavier the loss, the more patience; giving up is allowed (both sides then fail),
        // but a campaign where most transfers give up would test little.
        scenario.maxRetries = 10 + Int(worstLoss * 100) + Int(random.nextBelow(10))
        scenario.receiverIdleTimeout = random.nextBool(probability: 0.7) ? 60_000_000_000 : 10_000_000_000
        if random.nextBool(probability: 0.04) {
            scenario.receiverVanishesAt = random.nextBelow(20_000_000_000)
        }
        scenario.timeLimit = 48 * 3_600 * 1_000_000_000
        // Drawn last, so that every earlier choice of a seed's scenario stays what it was.
        scenario.congestionControl = CongestionAlgorithm.allCases[Int(random.nextBelow(UInt64(CongestionAlgorithm.allCases.count)))]
        // The receiving process's life: a server, or rudp-recv --once, which exits after the
        // transfer; without --idle-timeout (mostly) or with it.
        scenario.receiverLifecycle = random.nextBool(probability: 0.5) ? .once : .server
        scenario.receiverIdleTimeoutFollowsSender = random.nextBool(probability: 0.7)
        // A NAT rebinding the sender now and then (path validation); drawn after everything else.
        if random.nextBool(probability: 0.1) {
            scenario.rebindInterval = 50_000_000 + random.nextBelow(2_950_000_000)
        }
        // 0-RTT: the first packet in the SYN, and often an answer to it (in the SYN-ACK when it
        // fits three times the SYN, else in the FIN-ACK).
        scenario.earlyData = random.nextBool(probability: 0.3)
        if scenario.earlyData && random.nextBool(probability: 0.7) {
            scenario.responseSize = 1 + Int(random.nextBelow(UInt64(mss)))
        }
        return scenario
    }

    /// A size on or next to a packet or window boundary (or, sometimes, anywhere), within budget.
    static func boundarySize(_ random: inout SeededRandom, mss: Int, window: Int, profile: CampaignProfile) -> Int {
        let maxBytes = profile.maxPackets * mss
        let windowBytes = min(window * mss, maxBytes)
        let anchors = [0, mss, 2 * mss, 3 * mss, windowBytes, 2 * windowBytes, maxBytes / 2, maxBytes]
        let anchor = anchors[Int(random.nextBelow(UInt64(anchors.count)))]
        let size: Int = switch random.nextBelow(5) {
        case 0: anchor - 1
        case 1: anchor + 1
        case 2: Int(random.nextBelow(UInt64(maxBytes) + 1))
        default: anchor
        }
        return min(max(size, 0), maxBytes)
    }

    /// One direction of the link: loss 0-50 %, bursts, reordering, duplication, corruption,
    /// delay 0-500 ms with jitter, sometimes a rate limit.
    static func link(_ random: inout SeededRandom) -> ImpairmentConfig {
        var config = ImpairmentConfig()
        if random.nextBool(probability: 0.7) { config.loss = random.nextDouble() * 0.5 }
        if random.nextBool(probability: 0.25) {
            config.burstLoss = GilbertElliott(lossRate: 0.01 + random.nextDouble() * 0.2,
                                              meanBurstLength: 1 + random.nextDouble() * 9)
        }
        config.delay = random.nextBool(probability: 0.2) ? 0 : random.nextBelow(500_000_001)
        if random.nextBool(probability: 0.4) { config.jitter = random.nextBelow(config.delay / 4 + 1) }
        if random.nextBool(probability: 0.3) {
            config.reorder = random.nextDouble() * 0.3
            config.reorderGap = 1_000_000 + random.nextBelow(50_000_000)
        }
        if random.nextBool(probability: 0.2) { config.duplicate = random.nextDouble() * 0.2 }
        if random.nextBool(probability: 0.2) { config.corrupt = random.nextDouble() * 0.1 }
        if random.nextBool(probability: 0.1) {
            config.rate = 1_000_000 + random.nextBelow(99_000_000)
            config.queueLimit = 1 + Int(random.nextBelow(200))
        }
        return config
    }
}

/// The campaign's rule: the receiver holds exactly the sender's bytes and both say so, or both
/// report failure; never wrong bytes, never a hang, and never a saved file reported as failed
/// but where no protocol can help it (every FIN-ACK lost, or the receiver gone).
enum CampaignVerdict: Equatable, Sendable {
    /// The sender finished, the receiver confirmed, the bytes are the sender's.
    case delivered
    /// Both sides report failure (the receiver may never have heard of the transfer).
    case bothFailed
    /// The receiver saved the file and the sender gave up waiting for a FIN-ACK although every
    /// FIN that reached the receiver was answered: every FIN-ACK was lost, the one disagreement
    /// no protocol avoids; the file is intact.
    case finAcknowledgementLost
    /// The receiver saved the file, then its process vanished (a crash) before the sender heard.
    case savedThenReceiverVanished
    /// The receiver saved the file and the sender reported failure, though a FIN reached the
    /// receiver's address after the save and went unanswered: the receiver's life cycle lost it.
    case savedButReportedFailed(String)
    /// The rule is broken otherwise.
    case violation(String)

    init(_ outcome: TransferOutcome, scenario: TransferScenario) {
        let size = scenario.size
        if outcome.hung {
            self = .violation("hung: sender \(outcome.senderState), receiver \(String(describing: outcome.receiverState))")
            return
        }
        guard outcome.responseMatches else {
            self = .violation("the sender holds a \(outcome.responseBytes ?? 0)-byte response that is not the one answered")
            return
        }
        let receiverSaved = outcome.receiverState == .completed
        if receiverSaved && !(outcome.deliveredBytesMatch && outcome.bytesDelivered == size) {
            self = .violation("the receiver saved \(outcome.bytesDelivered) bytes that are not the \(size) sent")
            return
        }
        switch outcome.senderState {
        case .finished:
            self = receiverSaved ? .delivered : .violation("the sender reported success but the receiver is \(String(describing: outcome.receiverState))")
        case .failed(let error):
            guard receiverSaved else {
                self = .bothFailed
                return
            }
            if case .retriesExhausted(let what, _) = error, what == "the FIN", outcome.finsUnanswered == 0 {
                self = .finAcknowledgementLost
            } else if let vanished = scenario.receiverVanishesAt, vanished <= (outcome.senderEndTime ?? outcome.endTime) {
                self = .savedThenReceiverVanished
            } else {
                self = .savedButReportedFailed("the receiver saved the file but the sender failed (\(error)); "
                    + "\(outcome.finsUnanswered) FIN(s) after the save went unanswered"
                    + (outcome.receiverExitTime.map { ", the receiver exited at \(Double($0) / 1e9) s" } ?? ""))
            }
        default:
            self = .violation("the sender never ended: \(outcome.senderState)")
        }
    }

    var isViolation: Bool {
        switch self {
        case .violation, .savedButReportedFailed: true
        default: false
        }
    }

    /// Short name for tallies.
    var label: String {
        switch self {
        case .delivered: "delivered"
        case .bothFailed: "both failed"
        case .finAcknowledgementLost: Self.everyFinAckLostLabel
        case .savedThenReceiverVanished: "saved, then the receiver vanished"
        case .savedButReportedFailed: Self.savedButReportedFailedLabel
        case .violation: "VIOLATION"
        }
    }

    static let everyFinAckLostLabel = "saved, every FIN-ACK lost"
    static let savedButReportedFailedLabel = "SAVED BUT REPORTED FAILED"
}

extension CampaignProfile {
    /// The one command that reruns the scenario of `seed`.
    func reproduction(seed: UInt64) -> String {
        "scripts/simulate.sh --seed \(seed)" + (self == .quick ? " --quick" : "")
    }
}
