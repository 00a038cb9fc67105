import Foundation

/// The textbook formulas of the lab, one function each; docs/MODELS.md gives their sources and
/// derivations. Times are seconds, sizes bytes, throughputs bytes per second unless named otherwise.
public enum TextbookModels {
    /// Stop-and-wait utilization without loss (Kurose & Ross 3.4.2): U = (L/R) / (RTT + L/R).
    public static func stopAndWaitUtilization(transmissionTime: Double, roundTrip: Double) -> Double {
        let cycle = transmissionTime + roundTrip
        return cycle > 0 ? transmissionTime / cycle : 1
    }

    /// Utilization of a sliding window of N packets without loss: min(1, N·(L/R) / (RTT + L/R)).
    public static func windowUtilization(window: Int, transmissionTime: Double, roundTrip: Double) -> Double {
        let cycle = transmissionTime + roundTrip
        guard cycle > 0 else { return 1 }
        return min(1, Double(window) * transmissionTime / cycle)
    }

    /// Expected time spent recovering one packet: Σ_{k≥1} f^k · c_k, where f^k is the chance of
    /// at least k failed attempts, c_1 = `firstFailure` and c_k (k ≥ 2) the k-th consecutive
    /// timeout: T·2^(k−1) with `backoff` (RFC 6298 5.5, capped at `maximumTimeout`), T without.
    /// With c_1 = T this is the familiar T·f/(1−f), or T·f/(1−2f) (f < ½) with backoff.
    public static func expectedRecoveryTime(
        failureProbability f: Double, firstFailure: Double, timeout: Double, backoff: Bool, maximumTimeout: Double
    ) -> Double {
        guard f > 0 else { return 0 }
        guard f < 1 else { return .infinity }
        var total = 0.0
        var probability = f  // P(at least k failures) = f^k
        var current = timeout
        var k = 1
        while probability > 1e-12 && k < 10_000 {
            total += probability * (k == 1 ? firstFailure : current)
            if backoff { current = min(current * 2, max(maximumTimeout, timeout)) }
            probability *= f
            k += 1
        }
        return total
    }

    /// Stop-and-wait's mean time per packet under loss: (L/R + RTT) + E[recovery], where an
    /// attempt fails with probability q = 1 − (1−p)² (the packet or its ACK is lost) and every
    /// failure costs one timeout T (measured from the failed transmission's start, as the
    /// sender's timer is). With a fixed T: (L/R + RTT) + T·q/(1−q).
    public static func stopAndWaitTimePerPacket(
        transmissionTime: Double, roundTrip: Double, roundLoss: Double, timeout: Double,
        backoff: Bool = false, maximumTimeout: Double = .infinity
    ) -> Double {
        transmissionTime + roundTrip
            + expectedRecoveryTime(failureProbability: roundLoss, firstFailure: timeout, timeout: timeout,
                                   backoff: backoff, maximumTimeout: maximumTimeout)
    }

    /// Go-Back-N efficiency under loss: η = s / (s + m(1 − s)), where s is the probability that
    /// a packet gets through and m the number of packet times one loss costs (the window that
    /// is resent, Stallings' 1 + 2a; with a timeout, (RTT + T)/(L/R)).
    public static func goBackNEfficiency(success s: Double, lossCost m: Double) -> Double {
        guard s > 0 else { return 0 }
        return s / (s + m * (1 - s))
    }

    /// Selective Repeat utilization under loss, the textbook form (Stallings 7.3): each packet
    /// needs 1/(1−p) transmissions and only lost packets are resent, so U = (1 − p)·U_N, with
    /// U_N the loss-free window utilization. Assumes the window never blocks while a loss is
    /// being repaired (N ≥ 2a + 1 beyond the pipe); `LabModels` adds that blocking.
    public static func selectiveRepeatUtilization(loss p: Double, windowUtilization: Double) -> Double {
        (1 - p) * windowUtilization
    }

    /// Mathis, Semke, Mahdavi & Ott (1997): TCP's throughput under random loss p,
    /// B = (MSS/RTT)·C/√p with C = √(3/2) (periodic loss, an ACK per segment), in bytes/s.
    public static func mathisThroughput(mss: Int, roundTrip: Double, loss p: Double,
                                        constant: Double = (3.0 / 2.0).squareRoot()) -> Double {
        guard p > 0, roundTrip > 0 else { return .infinity }
        return Double(mss) / roundTrip * constant / p.squareRoot()
    }

    /// Padhye, Firoiu, Towsley & Kurose (1998), the "full model" approximation with timeouts:
    /// B = min(Wmax/RTT, 1 / (RTT·√(2bp/3) + T0·min(1, 3·√(3bp/8))·p·(1 + 32p²))) segments/s,
    /// times MSS for bytes/s. b is segments acknowledged per ACK (2 with delayed ACKs, 1
    /// without); T0 the retransmission timeout; Wmax the receiver window in segments (nil: none).
    public static func padhyeThroughput(mss: Int, roundTrip: Double, loss p: Double, timeout: Double,
                                        segmentsPerAck b: Double = 2, maximumWindow: Double? = nil) -> Double {
        guard roundTrip > 0 else { return .infinity }
        let windowLimit = maximumWindow.map { $0 / roundTrip } ?? .infinity
        guard p > 0 else { return windowLimit * Double(mss) }
        let congestion = roundTrip * (2 * b * p / 3).squareRoot()
        let timeouts = timeout * min(1, 3 * (3 * b * p / 8).squareRoot()) * p * (1 + 32 * p * p)
        return min(windowLimit, 1 / (congestion + timeouts)) * Double(mss)
    }
}
