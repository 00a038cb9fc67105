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

/// What a driver loop needs of one connection's state machine, sender or receiver alike:
/// packets and time in, datagrams and the next deadline out. One loop drives either.
public protocol ConnectionEndpoint: PacketHandling {
    /// Writes the next datagram to send into `datagram` and returns its length, or nil.
    func pollTransmit(into datagram: UnsafeMutableRawBufferPointer, now: UInt64) -> Int?
    /// When `handleTimeout` must be called next.
    var nextDeadline: UInt64? { get }
    /// Runs whatever timers are due at `now`.
    func handleTimeout(now: UInt64)
}

extension Sender: ConnectionEndpoint {}
extension Receiver: ConnectionEndpoint {}
