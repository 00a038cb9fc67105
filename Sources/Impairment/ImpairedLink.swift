/// Both directions of an impaired link: two independent pipelines whose seeds are derived
/// from one seed, so the whole link is reproduced by a single `--seed`.
public struct ImpairedLink {
    /// A direction of the link: forward is client → server (A → B), reverse the replies.
    public enum Direction: String, Sendable, CaseIterable {
        case forward
        case reverse
    }

    /// The client → server pipeline.
    public let forward: ImpairmentPipeline
    /// The server → client pipeline.
    public let reverse: ImpairmentPipeline

    /// A link impairing each direction with its own configuration.
    public init(forward: ImpairmentConfig, reverse: ImpairmentConfig, seed: UInt64,
                maxDatagramSize: Int = ImpairmentPipeline.defaultMaxDatagramSize) {
        self.forward = ImpairmentPipeline(
            config: forward, seed: SeededRandom.streamSeed(seed, stream: Direction.forward.rawValue),
            maxDatagramSize: maxDatagramSize)
        self.reverse = ImpairmentPipeline(
            config: reverse, seed: SeededRandom.streamSeed(seed, stream: Direction.reverse.rawValue),
            maxDatagramSize: maxDatagramSize)
    }

    /// A link applying the same configuration, with independent decisions, in both directions.
    public init(both config: ImpairmentConfig, seed: UInt64,
                maxDatagramSize: Int = ImpairmentPipeline.defaultMaxDatagramSize) {
        self.init(forward: config, reverse: config, seed: seed, maxDatagramSize: maxDatagramSize)
    }

    /// Applies new configurations to both directions from `now` on (see
    /// `ImpairmentPipeline.reconfigure(_:now:)`); a direction whose configuration is unchanged
    /// is left alone, its random streams running on.
    public func reconfigure(forward: ImpairmentConfig, reverse: ImpairmentConfig, now: UInt64) {
        if forward != self.forward.config { self.forward.reconfigure(forward, now: now) }
        if reverse != self.reverse.config { self.reverse.reconfigure(reverse, now: now) }
    }

    /// The pipeline of `direction`.
    public func pipeline(_ direction: Direction) -> ImpairmentPipeline {
        direction == .forward ? forward : reverse
    }

    /// The earliest time either direction has a datagram due, or nil when both are empty.
    public var nextReleaseTime: UInt64? {
        switch (forward.nextReleaseTime, reverse.nextReleaseTime) {
        case let (a?, b?): return min(a, b)
        case let (a?, nil): return a
        case let (nil, b?): return b
        case (nil, nil): return nil
        }
    }
}
