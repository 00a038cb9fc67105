import Impairment
import RUDP

/// What a watcher of a simulated transfer hears (an animation records it): both endpoints'
/// protocol events, every datagram entering and leaving the link, and the sender once each
/// instant has settled. Every hook is optional and costs nothing when nil.
public struct SimulationObservers {
    /// The sender's protocol events, as `--trace` records them.
    public var sender: ProtocolEventObserver?
    /// The receiver's protocol events (of the transfer's connection).
    public var receiver: ProtocolEventObserver?
    /// A datagram entered `direction` of the link at `now`. `serial` counts that direction's
    /// datagrams from 1, the numbering of a scripted drop; `dropped` says the link dropped it
    /// on entry (it will not arrive).
    public var datagramSent: ((_ now: UInt64, _ direction: ImpairedLink.Direction, _ serial: Int,
                               _ bytes: UnsafeRawBufferPointer, _ dropped: Bool) -> Void)?
    /// Datagram `serial` of `direction` left the link at `now` and reached its endpoint.
    public var datagramArrived: ((_ now: UInt64, _ direction: ImpairedLink.Direction, _ serial: Int) -> Void)?
    /// Everything due at `now` has happened; the sender stays so until the next instant.
    public var instantSettled: ((_ now: UInt64, _ sender: Sender) -> Void)?

    public init() {}
}
