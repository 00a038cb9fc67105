import Impairment
import RUDP

/// A sender and a receiver joined by an impaired link on a virtual clock. Conformers say how
/// each side's application produces and consumes data; the pump that moves datagrams at one
/// instant is shared.
protocol LinkedEndpoints {
    var link: ImpairedLink { get }
    var sender: Sender { get }
    var now: UInt64 { get }
    /// Sends everything the sender (and its application) has to send now; true if it sent anything.
    mutating func drainSender() -> Bool
    /// Sends everything the receiver has to send now; true if it sent anything.
    mutating func drainReceiver() -> Bool
    /// The receiving process gets one datagram.
    mutating func deliverToReceiver(_ bytes: UnsafeRawBufferPointer)
    /// A datagram submitted with `tag` leaves `direction` of the link (before it is handled).
    func arrived(from direction: ImpairedLink.Direction, tag: UInt64)
}

extension LinkedEndpoints {
    func arrived(from direction: ImpairedLink.Direction, tag: UInt64) {}

    /// Moves data and datagrams at the current instant until nothing more happens at it.
    /// Each endpoint answers every datagram before the next one arrives, as a real process would.
    mutating func pumpUntilQuiet() {
        var active = true
        while active {
            active = false
            if drainSender() { active = true }
            if drainReceiver() { active = true }
            link.forward.releaseDue(now: now) { bytes, tag in
                active = true
                arrived(from: .forward, tag: tag)
                deliverToReceiver(bytes)
                _ = drainReceiver()
            }
            link.reverse.releaseDue(now: now) { bytes, tag in
                active = true
                arrived(from: .reverse, tag: tag)
                sender.handle(datagram: bytes, now: now)
                _ = drainSender()
            }
        }
    }
}
