/// Counters of one direction's pipeline: what came in, what went out, and why the rest did not.
///
/// Invariant: `received + duplicated == delivered + dropped + heldNow`.
public struct ImpairmentStats: Sendable, Equatable {
    /// Datagrams submitted ("in").
    public var received = 0
    /// Datagrams released, duplicates included ("out").
    public var delivered = 0
    /// Dropped by the scripted-drop list.
    public var droppedScripted = 0
    /// Dropped by Bernoulli loss.
    public var droppedLoss = 0
    /// Dropped by Gilbert-Elliott burst loss.
    public var droppedBurstLoss = 0
    /// Tail-dropped because the rate limiter's queue was full (duplicates included).
    public var droppedQueue = 0
    /// Dropped because the pipeline already held `holdLimitBytes` (duplicates included).
    public var droppedHoldLimit = 0
    /// Dropped because they were larger than the pipeline's maximum datagram size.
    public var droppedOversize = 0
    /// Extra copies made by the duplication stage.
    public var duplicated = 0
    /// Datagrams with one bit flipped.
    public var corrupted = 0
    /// Datagrams released after a datagram submitted later than them (by any cause: the
    /// reorder stage or jitter), counted at release.
    public var reordered = 0
    /// Datagrams the reorder stage moved: held back by the reorder gap, or, with a packet-count
    /// gap, sent ahead of the delayed ones.
    public var heldBackForReorder = 0
    /// Datagrams scheduled for release later than they were submitted (delay, jitter,
    /// queueing or reorder hold-back).
    public var delayed = 0
    /// Datagrams waiting in the rate limiter's queue, as of the last call.
    public var queuedNow = 0
    /// Datagrams inside the pipeline awaiting release (queued ones included).
    public var heldNow = 0

    /// A zeroed set of counters.
    public init() {}

    /// Datagrams dropped for any reason.
    public var dropped: Int {
        droppedScripted + droppedLoss + droppedBurstLoss + droppedQueue + droppedOversize + droppedHoldLimit
    }
}
