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
    /// The receiving process gets one datagram, submitted with `tag`.
    mutating func deliverToReceiver(_ bytes: UnsafeRawBufferPointer, tag: UInt64)
    /// The sending process gets one datagram, submitted with `tag` (by default the sender handles it).
    mutating func deliverToSender(_ bytes: UnsafeRawBufferPointer, tag: UInt64)
    /// A datagram submitted with `tag` leaves `direction` of the link (before it is handled).
    func arrived(from direction: ImpairedLink.Direction, tag: UInt64)
}

extension LinkedEndpoints {
    func arrived(from direction: ImpairedLink.Direction, tag: UInt64) {}

    mutating func deliverToSender(_ bytes: UnsafeRawBufferPointer, tag: UInt64) {
        sender.handle(datagram: bytes, now: now)
    }

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
                deliverToReceiver(bytes, tag: tag)
                _ = drainReceiver()
            }
            link.reverse.releaseDue(now: now) { bytes, tag in
                active = true
                arrived(from: .reverse, tag: tag)
                deliverToSender(bytes, tag: tag)
                _ = drainSender()
            }
        }
    }
}
