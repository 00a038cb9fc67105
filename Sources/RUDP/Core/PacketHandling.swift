/// A connection's state machine fed decoded packets (`Sender`, `Receiver`); callers holding raw
/// bytes use `handle(datagram:now:)`, which decodes them. (A `ReceiverEndpoint` decodes each
/// datagram once itself, to find its connection.)
public protocol PacketHandling: AnyObject {
    /// Handles one decoded packet.
    func handle(packet: PacketView, now: UInt64)
}

extension PacketHandling {
    /// Handles one datagram; a malformed one is returned as an error and otherwise ignored.
    @discardableResult
    public func handle(datagram: UnsafeRawBufferPointer, now: UInt64) -> WireError? {
        do {
            handle(packet: try PacketView.decode(datagram), now: now)
            return nil
        } catch {
            return error
        }
    }
}
