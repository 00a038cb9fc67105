/// Why the engine dropped a datagram (or one copy of it).
public enum ImpairmentDropCause: String, Sendable, CaseIterable {
    /// Larger than the pipeline's maximum datagram size.
    case oversize
    /// Listed in the scripted drops (`--drop`).
    case scripted = "scripted drop"
    /// Independent (Bernoulli) loss.
    case loss
    /// Gilbert-Elliott burst loss.
    case burst
    /// The bytes held in the pipeline would exceed its hold limit.
    case holdLimit = "hold limit"
    /// The rate limiter's queue was full.
    case queue
}

/// Told the fate of every datagram a pipeline sees, for captures and traces (`ImpairmentPipeline.observer`).
///
/// Calls happen inside `submit` and `releaseDue`, on the pipeline's thread, in the order the
/// engine decides: for one submission, any of `dropped`, `corrupted`, `duplicated`,
/// `scheduled` (once per surviving copy); for one release, `released` just before the
/// datagram is handed to the caller. `index` is the 1-based submission index in the
/// direction, shared by a datagram and its duplicate. A pipeline without observer pays one
/// nil check per event.
public protocol ImpairmentObserver: AnyObject {
    /// The datagram (or its duplicate copy, `isDuplicate`) was dropped.
    func dropped(index: Int, isDuplicate: Bool, cause: ImpairmentDropCause)
    /// Bit `bit` (0-based from the datagram's first byte) was flipped.
    func corrupted(index: Int, bit: Int)
    /// A copy of the datagram was made.
    func duplicated(index: Int)
    /// A copy entered the release schedule, due at `due` (ns); `arrival` is its submission time.
    func scheduled(index: Int, isDuplicate: Bool, arrival: UInt64, due: UInt64)
    /// A copy is being released; `reordered` if a later-submitted datagram was released before it.
    func released(index: Int, isDuplicate: Bool, due: UInt64, reordered: Bool)
}
