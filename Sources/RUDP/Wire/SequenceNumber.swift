/// A 32-bit wire sequence number compared with serial-number arithmetic (RFC 1982).
///
/// Two numbers are ordered by the sign of their wrapping difference, so ordering holds across
/// the 2^32 wrap as long as the numbers compared are less than 2^31 apart; the protocol keeps
/// every window far below that.
public struct SequenceNumber: Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt32

    @inlinable public init(_ rawValue: UInt32) { self.rawValue = rawValue }

    /// Signed distance from `other` to `self` (positive when `self` is after `other`).
    @inlinable public func distance(from other: SequenceNumber) -> Int32 {
        Int32(bitPattern: rawValue &- other.rawValue)
    }

    @inlinable public static func + (lhs: SequenceNumber, rhs: UInt32) -> SequenceNumber {
        SequenceNumber(lhs.rawValue &+ rhs)
    }

    @inlinable public static func < (lhs: SequenceNumber, rhs: SequenceNumber) -> Bool {
        lhs.distance(from: rhs) < 0
    }

    @inlinable public static func > (lhs: SequenceNumber, rhs: SequenceNumber) -> Bool {
        lhs.distance(from: rhs) > 0
    }

    @inlinable public static func <= (lhs: SequenceNumber, rhs: SequenceNumber) -> Bool { !(lhs > rhs) }
    @inlinable public static func >= (lhs: SequenceNumber, rhs: SequenceNumber) -> Bool { !(lhs < rhs) }

    public var description: String { String(rawValue) }
}

/// Maps wire sequence numbers to 64-bit packet indices counted from a connection's first data packet.
///
/// The state machines work on indices, which never wrap; only the wire carries the 32-bit form.
/// A wire number is interpreted as the index nearest to a reference index, which is correct while
/// the peer's view is within 2^31 packets of ours (the window bounds it to far less).
public struct SequenceSpace: Sendable {
    /// Wire number of packet index 0.
    public let origin: SequenceNumber

    public init(origin: SequenceNumber) { self.origin = origin }

    @inlinable public func wire(_ index: UInt64) -> SequenceNumber {
        origin + UInt32(truncatingIfNeeded: index)
    }

    /// The index of `number` nearest to `reference`; nil if that would be negative.
    @inlinable public func index(of number: SequenceNumber, near reference: UInt64) -> UInt64? {
        let delta = Int64(number.distance(from: wire(reference)))
        let result = Int64(bitPattern: reference) + delta
        return result < 0 ? nil : UInt64(result)
    }
}
