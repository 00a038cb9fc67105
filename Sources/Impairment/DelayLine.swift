/// The random part of one datagram's delay, drawn when it enters the pipeline.
struct DelayTiming {
    /// Signed jitter added to the configured delay, in ns (0 without jitter).
    var jitterOffset: Int64 = 0
    /// Whether the reorder stage holds this datagram back by the reorder gap.
    var heldBack = false
}

/// Propagation delay, jitter and reordering: turns a datagram's departure from the rate
/// limiter (or its arrival, without one) into the time it is released.
///
/// due = departure + max(0, delay + jitter sample); without reordering by jitter, raised to
/// the latest due time of the datagrams before it; then, if the reorder stage picks it, plus
/// the reorder gap (such a held-back datagram does not hold back those after it). With a
/// packet-count gap (netem's `reorder P gap N`) a picked datagram is instead due at its
/// departure, ahead of the delayed ones, if N − 1 datagrams went the normal way since the last.
struct DelayLine {
    private let delay: UInt64
    private let reorderByJitter: Bool
    private let reorderGap: UInt64
    /// netem's packet-count gap; 0 for this engine's time-gap hold-back.
    private let reorderPacketGap: Int
    /// Datagrams scheduled normally since the last one sent ahead (packet-gap mode).
    private var sinceSentAhead = 0
    /// Originals and duplicates draw from separate streams, so duplication never shifts the
    /// jitter or reordering of the originals.
    private var originals: DelaySampler
    private var duplicates: DelaySampler
    /// Latest due time given to a datagram that was not held back for reordering; carried over
    /// a reconfiguration, so that without reordering by jitter no new datagram overtakes.
    var lastInOrderDue: UInt64 = 0

    init(config: ImpairmentConfig, seed: UInt64) {
        delay = config.delay
        reorderByJitter = config.reorderByJitter
        reorderGap = config.reorderGap
        reorderPacketGap = config.reorderPacketGap
        originals = DelaySampler(config: config, seed: seed, streamSuffix: "")
        duplicates = DelaySampler(config: config, seed: seed, streamSuffix: ".duplicate")
    }

    /// Draws the jitter and reorder decision of the next original datagram.
    mutating func nextTiming() -> DelayTiming { originals.next() }

    /// Draws the jitter and reorder decision of the next duplicate copy.
    mutating func nextDuplicateTiming() -> DelayTiming { duplicates.next() }

    /// The release time of a datagram leaving the rate limiter (or arriving) at `departure`,
    /// and whether the reorder stage moved it (held back, or sent ahead in packet-gap mode);
    /// datagrams must be presented in departure order.
    mutating func schedule(departure: UInt64, timing: DelayTiming) -> (due: UInt64, reordered: Bool) {
        if reorderPacketGap > 0 {
            // netem's `reorder P gap N`: a picked datagram goes out at once, ahead of the delayed
            // ones, provided N − 1 datagrams took the normal path since the last one that did.
            if timing.heldBack && sinceSentAhead >= reorderPacketGap - 1 {
                sinceSentAhead = 0
                return (departure, true)
            }
            sinceSentAhead += 1
        }
        let signedDelay = Int64(delay) + timing.jitterOffset
        var due = departure + (signedDelay > 0 ? UInt64(signedDelay) : 0)
        if !reorderByJitter, due < lastInOrderDue {
            due = lastInOrderDue
        }
        if timing.heldBack && reorderPacketGap == 0 {
            return (due + reorderGap, true)
        }
        lastInOrderDue = max(lastInOrderDue, due)
        return (due, false)
    }
}

/// Draws jitter offsets and reorder decisions, each from its own seeded stream.
private struct DelaySampler {
    private let reorderProbability: Double
    private var jitterSampler: JitterSampler?
    private var reorderRandom: SeededRandom

    init(config: ImpairmentConfig, seed: UInt64, streamSuffix: String) {
        reorderProbability = config.reorder
        if config.jitter > 0 {
            jitterSampler = JitterSampler(
                jitter: config.jitter, distribution: config.jitterDistribution,
                correlation: config.jitterCorrelation, random: SeededRandom(seed: seed, stream: "jitter" + streamSuffix))
        }
        reorderRandom = SeededRandom(seed: seed, stream: "reorder" + streamSuffix)
    }

    mutating func next() -> DelayTiming {
        var timing = DelayTiming()
        timing.jitterOffset = jitterSampler?.next() ?? 0
        if reorderProbability > 0 {
            timing.heldBack = reorderRandom.nextBool(probability: reorderProbability)
        }
        return timing
    }
}
