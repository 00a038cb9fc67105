/// The impairments applied to ONE direction of a link; the default value impairs nothing.
///
/// Stages run in this order: scripted drop → loss (Bernoulli, then Gilbert-Elliott) →
/// corruption → duplication → rate limit and queue → delay, jitter and reordering.
/// docs/IMPAIRMENTS.md states each stage's exact semantics.
public struct ImpairmentConfig: Sendable, Equatable {
    /// Bernoulli loss: each datagram is dropped with this probability (0...1), independently
    /// unless `lossCorrelation` is set.
    public var loss: Double = 0
    /// ρ (0...1), netem's loss correlation: the loss decisions form a Markov chain that keeps
    /// the loss rate at `loss` and makes P(lost | previous lost) = loss + ρ·(1 − loss).
    public var lossCorrelation: Double = 0
    /// Gilbert-Elliott burst loss, applied after (and independently of) `loss`; nil for none.
    public var burstLoss: GilbertElliott? = nil
    /// Mean one-way delay in nanoseconds, added after the rate limiter.
    public var delay: UInt64 = 0
    /// Jitter in nanoseconds: half-width for `.uniform`, standard deviation for `.normal`, the
    /// scale of the standard shape for `.pareto` and `.paretonormal`.
    public var jitter: UInt64 = 0
    /// The distribution of the jittered delay.
    public var jitterDistribution: JitterDistribution = .uniform
    /// ρ (0...1), netem's delay correlation: successive jitter samples are correlated through a
    /// Gaussian AR(1) process of lag-1 correlation ρ, keeping `jitterDistribution` exactly.
    public var jitterCorrelation: Double = 0
    /// Whether jitter may let a datagram overtake one submitted earlier; when false a datagram
    /// is never released before an earlier one (its due time is raised to theirs instead).
    public var reorderByJitter: Bool = true
    /// Probability (0...1) that a datagram is held back an extra `reorderGap`, so that those
    /// submitted within the gap after it overtake it. Needs no delay.
    public var reorder: Double = 0
    /// How long a reordered datagram is held back beyond its normal due time, in nanoseconds.
    public var reorderGap: UInt64 = ImpairmentConfig.defaultReorderGap
    /// netem's `reorder P gap N` instead of the hold-back when above 0: a datagram the reorder
    /// stage picks is sent at once, ahead of the delayed ones, if at least N − 1 datagrams took
    /// the normal delay since the last one sent ahead (so with `reorder` 1, every Nth).
    public var reorderPacketGap: Int = 0
    /// Probability (0...1) that a datagram is delivered twice.
    public var duplicate: Double = 0
    /// Probability (0...1) that one random bit of a datagram is flipped.
    public var corrupt: Double = 0
    /// Bytes at the start of each datagram that corruption never touches (e.g. IP and UDP
    /// headers on the TUN link, so only the transport payload is corrupted).
    public var corruptOffset: Int = 0
    /// Bottleneck rate in bits per second; 0 means unlimited (no rate stage, no queue).
    public var rate: UInt64 = 0
    /// Bytes added to each datagram's size when computing its serialization time (headers
    /// the relay does not see, e.g. 28 for IPv4 + UDP). Only used with a rate.
    public var rateOverhead: Int = 0
    /// netem's `slot`: datagrams leave only at slot openings, in bursts; nil for none.
    public var slots: DeliverySlots? = nil
    /// Datagrams that may wait for the bottleneck (not counting the one being serialized);
    /// a datagram arriving when that many wait is tail-dropped. Only used with a rate.
    public var queueLimit: Int = ImpairmentConfig.defaultQueueLimit
    /// Bytes of datagrams the pipeline holds at most (queued, delayed or held back), so that a
    /// long delay under a flood cannot take all memory; a datagram beyond it is dropped and
    /// counted (`droppedHoldLimit`), as netem's `limit` does. The default holds 1 Gbit/s for
    /// half a second of delay.
    public var holdLimitBytes: Int = ImpairmentConfig.defaultHoldLimitBytes
    /// 1-based indices of the datagrams of this direction to drop, e.g. [3...3, 7...7, 10...12].
    public var scriptedDrops: [ClosedRange<Int>] = []

    /// The reorder gap used when none is given: 10 ms.
    public static let defaultReorderGap: UInt64 = 10_000_000
    /// Largest `reorderPacketGap` accepted: far beyond any experiment.
    public static let maximumReorderPacketGap = 1_000_000_000
    /// The hold limit used when none is given: 64 MiB.
    public static let defaultHoldLimitBytes = 64 << 20
    /// The queue limit used when none is given: 1000 datagrams, as netem's default limit.
    public static let defaultQueueLimit = 1000
    /// Longest delay, jitter or reorder gap accepted: one hour, far beyond any experiment, and
    /// far enough from UInt64's range that due-time arithmetic cannot overflow.
    public static let maximumDuration: UInt64 = 3_600_000_000_000

    /// The configuration that impairs nothing.
    public static let none = ImpairmentConfig()

    /// A configuration with nothing impaired; set the fields you need.
    public init() {}

    /// True when the configuration impairs nothing, so the pipeline can take its fast path.
    public var isIdentity: Bool {
        loss == 0 && !burstLossCanDrop && delay == 0 && jitter == 0 && reorder == 0
            && duplicate == 0 && corrupt == 0 && rate == 0 && scriptedDrops.isEmpty && slots == nil
    }

    private var burstLossCanDrop: Bool {
        guard let model = burstLoss else { return false }
        // The chain starts good; it can only drop if the good state loses or the bad state is
        // reachable and loses there.
        return model.lossInGood > 0 || (model.p > 0 && model.lossInBad > 0)
    }

    /// Checks every field; the error names the first impossible one and what is allowed.
    public func validate() throws(ImpairmentConfigError) {
        try Self.checkProbability(loss, field: "loss")
        try Self.checkProbability(lossCorrelation, field: "lossCorrelation")
        if let model = burstLoss {
            try Self.checkProbability(model.p, field: "burstLoss.p")
            try Self.checkProbability(model.r, field: "burstLoss.r")
            try Self.checkProbability(model.lossInBad, field: "burstLoss.lossInBad")
            try Self.checkProbability(model.lossInGood, field: "burstLoss.lossInGood")
        }
        try Self.checkDuration(delay, field: "delay")
        try Self.checkDuration(jitter, field: "jitter")
        try Self.checkProbability(jitterCorrelation, field: "jitterCorrelation")
        try Self.checkProbability(reorder, field: "reorder")
        try Self.checkDuration(reorderGap, field: "reorderGap")
        guard (0...Self.maximumReorderPacketGap).contains(reorderPacketGap) else {
            throw ImpairmentConfigError(
                field: "reorderPacketGap",
                problem: "\(reorderPacketGap) is out of range (allowed 0...\(Self.maximumReorderPacketGap) datagrams)")
        }
        try Self.checkProbability(duplicate, field: "duplicate")
        try Self.checkProbability(corrupt, field: "corrupt")
        guard corruptOffset >= 0 else {
            throw ImpairmentConfigError(
                field: "corruptOffset", problem: "\(corruptOffset) is negative (allowed 0 or more bytes)")
        }
        guard rateOverhead >= 0, rateOverhead <= 65_536 else {
            throw ImpairmentConfigError(
                field: "rateOverhead", problem: "\(rateOverhead) bytes is out of range (allowed 0...65536)")
        }
        if let slots {
            try Self.checkDuration(slots.maxInterval, field: "slots.maxInterval")
            guard slots.maxInterval > 0, slots.minInterval <= slots.maxInterval else {
                throw ImpairmentConfigError(
                    field: "slots", problem: "\(slots.minInterval)...\(slots.maxInterval) ns is not an interval "
                        + "(allowed: 0 ≤ MIN ≤ MAX, MAX above 0)")
            }
            guard slots.maxPackets >= 0, slots.maxBytes >= 0 else {
                throw ImpairmentConfigError(
                    field: "slots", problem: "a slot's packet or byte limit is negative (allowed 0 for none, or more)")
            }
        }
        guard queueLimit >= 0 else {
            throw ImpairmentConfigError(
                field: "queueLimit", problem: "\(queueLimit) is negative (allowed 0 or more datagrams)")
        }
        for range in scriptedDrops where range.lowerBound < 1 {
            throw ImpairmentConfigError(
                field: "scriptedDrops",
                problem: "\(range.lowerBound) is not a datagram index (indices start at 1)")
        }
    }

    private static func checkProbability(_ value: Double, field: String) throws(ImpairmentConfigError) {
        guard value >= 0, value <= 1 else {  // also rejects NaN
            throw ImpairmentConfigError(
                field: field, problem: "\(value) is not a probability (allowed 0...1, i.e. 0% to 100%)")
        }
    }

    private static func checkDuration(_ value: UInt64, field: String) throws(ImpairmentConfigError) {
        guard value <= maximumDuration else {
            throw ImpairmentConfigError(
                field: field, problem: "\(value) ns is longer than the allowed maximum of 1 hour")
        }
    }
}
