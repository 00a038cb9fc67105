/// The impairment engine for one direction of a link.
///
/// Feed it datagrams with `submit(_:tag:now:)`; it copies each one into a pooled buffer,
/// applies the stages of its `ImpairmentConfig` (scripted drop → loss → corruption →
/// duplication → rate and queue → delay, jitter and reordering) and holds the survivors until
/// they are due. `releaseDue(now:_:)` hands out every datagram due by `now`, in due order;
/// `nextReleaseTime` says when to call it next. Time is a parameter (monotonic nanoseconds
/// from any origin), never read inside, so the same pipeline runs on a virtual clock in the
/// simulator and on the real clock in the proxy.
///
/// Determinism: each stage draws from its own stream derived from the seed, and every enabled
/// random stage makes its draw for every datagram that enters the pipeline, even one an
/// earlier stage drops. So a stage's decision for the Nth datagram depends only on the seed,
/// N (and the datagram's length, for the corrupted bit): enabling duplication or loss never
/// changes which datagrams another stage picks.
///
/// Not thread-safe: use one pipeline from one thread (or actor) at a time.
public final class ImpairmentPipeline {
    /// The impairments this pipeline applies (the latest given to `reconfigure`).
    public private(set) var config: ImpairmentConfig
    /// How many times `reconfigure` has been called.
    public private(set) var generation = 0
    /// The seed all its random streams derive from.
    public let seed: UInt64
    /// Largest datagram accepted; larger ones are dropped and counted as oversize.
    public let maxDatagramSize: Int

    /// Held through a pointer rather than a stored property: a class's stored properties pay a
    /// dynamic exclusivity check on every access, which cost more than the stages themselves
    /// on the hot path. No access is ever held across a call out to the caller.
    private let core: UnsafeMutablePointer<PipelineCore>

    /// The default maximum datagram size: any UDP payload or IP packet fits.
    public static let defaultMaxDatagramSize = 65_536

    /// A pipeline applying `config` with random streams derived from `seed`.
    /// `config` must be valid (see `ImpairmentConfig.validate()`).
    public init(config: ImpairmentConfig, seed: UInt64,
                maxDatagramSize: Int = ImpairmentPipeline.defaultMaxDatagramSize) {
        do {
            try config.validate()
        } catch {
            preconditionFailure("invalid ImpairmentConfig: \(error)")
        }
        self.config = config
        self.seed = seed
        self.maxDatagramSize = maxDatagramSize
        core = .allocate(capacity: 1)
        core.initialize(to: PipelineCore(config: config, seed: seed, maxDatagramSize: maxDatagramSize))
    }

    deinit {
        core.deinitialize(count: 1)
        core.deallocate()
    }

    /// The counters so far; `queuedNow` and `heldNow` as of the last call.
    public var stats: ImpairmentStats { core.pointee.stats }

    /// When the earliest held datagram is due, or nil when none is held.
    public var nextReleaseTime: UInt64? { core.pointee.nextReleaseTime }

    /// Told the fate of every datagram from now on (captures); nil, the default, costs nothing.
    public var observer: (any ImpairmentObserver)? {
        get { core.pointee.observer }
        set { core.pointee.observer = newValue }
    }

    /// Buffer slots allocated so far; bounded by the most datagrams ever held at once.
    public var pooledSlotCount: Int { core.pointee.pooledSlotCount }

    /// Applies `config` to the datagrams submitted from now on, as netem's `tc qdisc change`:
    /// every datagram already held keeps its release time (a datagram delayed 200 ms still
    /// arrives 200 ms late after the delay drops to 10 ms); counters, datagram numbering (for
    /// scripted drops) and the bottleneck's busy period carry over. The random streams restart,
    /// derived from the seed and the generation (`reconfigure-1`, `reconfigure-2`, …), so the
    /// same seed, traffic and changes give the same output. `now` is the time of the change;
    /// the pipeline lets the rate limiter catch up to it. `config` must be valid.
    public func reconfigure(_ config: ImpairmentConfig, now: UInt64) {
        do {
            try config.validate()
        } catch {
            preconditionFailure("invalid ImpairmentConfig: \(error)")
        }
        generation += 1
        self.config = config
        core.pointee.advance(to: now)
        core.pointee.reconfigure(
            config: config, seed: SeededRandom.streamSeed(seed, stream: "reconfigure-\(generation)"))
    }

    /// Takes a datagram arriving at `now` (ns, monotonic). The bytes are copied; the caller
    /// may reuse its buffer at once. `tag` is carried with the datagram and its duplicate to
    /// release (e.g. which client sent it). A datagram that is not delayed is due at `now`:
    /// call `releaseDue(now:_:)` after submitting.
    public func submit(_ datagram: UnsafeRawBufferPointer, tag: UInt64, now: UInt64) {
        core.pointee.submit(datagram, tag: tag, now: now)
    }

    /// As `submit(_:tag:now:)`, but the corruption stage spares this datagram's first
    /// `corruptOffset` bytes instead of `config.corruptOffset`'s: for traffic whose headers
    /// differ in length from datagram to datagram (IP packets on the TUN link).
    public func submit(_ datagram: UnsafeRawBufferPointer, tag: UInt64, now: UInt64, corruptOffset: Int) {
        precondition(corruptOffset >= 0, "a corruption offset cannot be negative")
        core.pointee.submit(datagram, tag: tag, now: now, corruptOffset: corruptOffset)
    }

    /// Hands every datagram due at or before `now` to `body`, in due order (ties in submission
    /// order), with its tag. The bytes are valid only during the call; their buffer is
    /// recycled afterwards. `body` may submit to this or another pipeline.
    public func releaseDue(now: UInt64, _ body: (UnsafeRawBufferPointer, UInt64) -> Void) {
        core.pointee.advance(to: now)
        // No access to `core` is held while `body` runs, so it may call back into this pipeline.
        while let (bytes, tag, slot) = core.pointee.popDue(now: now) {
            body(bytes, tag)
            core.pointee.recycle(slot)
        }
    }
}
