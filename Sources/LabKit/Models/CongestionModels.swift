import Foundation

/// Throughput models of congestion-controlled senders, one function each: AIMD's and CUBIC's
/// average windows under loss, PFTK's timeout term, and a BBR v1 rate. docs/MODELS.md derives
/// each and says where it fails. Times are seconds, windows packets, throughputs bytes/s.
public enum CongestionModels {
    /// RFC 9438's constants: the cubic function's C (packets/s³) and the multiplicative decrease β.
    public static let cubicC = 0.4
    public static let cubicBeta = 0.7

    /// The average window of AIMD(α, β) under one loss every 1/p packets (the sawtooth of the
    /// Mathis model): W = √(α(1 + β) / (2b(1 − β)p)), b packets per window increment's ACK.
    /// Reno (α = 1, β = ½, b = 1) gives √(3/(2p)).
    public static func aimdAverageWindow(increase alpha: Double, decrease beta: Double, loss p: Double,
                                         segmentsPerAck b: Double = 1) -> Double {
        guard p > 0 else { return .infinity }
        return (alpha * (1 + beta) / (2 * b * (1 - beta) * p)).squareRoot()
    }

    /// CUBIC's average window in its cubic region under one loss every 1/p packets:
    /// W = (C(3 + β)/(4(1 − β)))^¼ · RTT^¾ / p^¾ (RTT in seconds). From W(t) = C(t − K)³ + W_max
    /// growing back from βW_max to W_max in K = ∛(W_max(1 − β)/C) seconds between losses.
    public static func cubicAverageWindow(roundTrip: Double, loss p: Double, c: Double = cubicC,
                                          beta: Double = cubicBeta) -> Double {
        guard p > 0 else { return .infinity }
        return pow(c * (3 + beta) / (4 * (1 - beta)), 0.25) * pow(roundTrip, 0.75) / pow(p, 0.75)
    }

    /// CUBIC's average window: the larger of its cubic region and its Reno-friendly region,
    /// AIMD(3(1 − β)/(1 + β), β), whose average is Reno's by construction (RFC 9438 §4.3).
    public static func cubicWindow(roundTrip: Double, loss p: Double, segmentsPerAck b: Double = 1) -> Double {
        let renoFriendly = aimdAverageWindow(increase: 3 * (1 - cubicBeta) / (1 + cubicBeta), decrease: cubicBeta,
                                             loss: p, segmentsPerAck: b)
        return max(cubicAverageWindow(roundTrip: roundTrip, loss: p), renoFriendly)
    }

    /// PFTK's seconds of timeouts per packet: T0·min(1, 3√(3bp/8))·p·(1 + 32p²).
    public static func timeoutTime(loss p: Double, timeout: Double, segmentsPerAck b: Double) -> Double {
        timeout * min(1, 3 * (3 * b * p / 8).squareRoot()) * p * (1 + 32 * p * p)
    }

    /// CUBIC's throughput: its average window per RTT, with PFTK's timeouts added as for Reno,
    /// 1 / (RTT/W + T0·min(1, 3√(3bp/8))·p·(1 + 32p²)) packets/s, times MSS.
    public static func cubicThroughput(mss: Int, roundTrip: Double, loss p: Double, timeout: Double,
                                       segmentsPerAck b: Double = 1) -> Double {
        guard p > 0, roundTrip > 0 else { return .infinity }
        let window = cubicWindow(roundTrip: roundTrip, loss: p, segmentsPerAck: b)
        return Double(mss) / (roundTrip / window + timeoutTime(loss: p, timeout: timeout, segmentsPerAck: b))
    }

    /// BBR v1's probing gain: the bandwidth estimate holds only while 1.25·(1 − p) ≥ 1.
    public static let bbrProbeGain = 1.25
    /// ProbeRTT: every 10 s, 200 ms (and a round trip) at four packets in flight.
    public static let bbrProbeRTTInterval = 10.0
    public static let bbrProbeRTTDuration = 0.2
    public static let bbrMinimumPackets = 4.0

    /// The share of time a BBR flow spends in ProbeRTT: d/(10 s + d), d = 200 ms + RTT.
    /// An upper bound: a flow that sees its minimum RTT again within 10 s skips ProbeRTT.
    public static func bbrProbeRTTShare(roundTrip: Double) -> Double {
        let probe = bbrProbeRTTDuration + roundTrip
        return probe / (bbrProbeRTTInterval + probe)
    }

    /// The loss above which BBR v1's bandwidth estimate cannot hold: 1 − 1/1.25 = 20%.
    public static var bbrLossLimit: Double { 1 - 1 / bbrProbeGain }

    /// BBR v1's goodput through a bottleneck of `bottleneck` bytes/s behind random loss p:
    /// it paces at the bottleneck rate whatever the loss, so (1 − p) of what it sends arrives,
    /// outside ProbeRTT: bottleneck·(1 − p)·(1 − ProbeRTT share). Above `bbrLossLimit` even
    /// the probing phase delivers less than the estimate, which then decays each gain cycle;
    /// the model falls to the floor of four packets per round trip.
    public static func bbrThroughput(bottleneck: Double, loss p: Double, roundTrip: Double, mss: Int) -> Double {
        guard roundTrip > 0 else { return bottleneck * (1 - p) }
        let floor = bbrMinimumPackets * Double(mss) * (1 - p) / roundTrip
        guard p <= bbrLossLimit + 1e-9 else { return min(floor, bottleneck) }
        return max(floor, bottleneck * (1 - p) * (1 - bbrProbeRTTShare(roundTrip: roundTrip)))
    }
}
