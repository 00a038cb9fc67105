/// The layout of a why-udp message: its index and the time the application handed it over, so
/// the receiving side computes each message's latency from the message alone. The rest of the
/// message is a pattern derived from the index, so a receiver can check it arrived intact.
///
///     bytes 0..<8   message index, little-endian
///     bytes 8..<16  send time in nanoseconds (the sender's monotonic clock), little-endian
///     bytes 16...   (index + offset) & 0xFF
public enum MessageStamp {
    /// The smallest message that holds a stamp.
    public static let minimumSize = 16

    /// Writes message `index`, sent at `sentAt`, filling all of `buffer`.
    public static func write(index: UInt64, sentAt: UInt64, into buffer: UnsafeMutableRawBufferPointer) {
        precondition(buffer.count >= minimumSize, "a message needs at least \(minimumSize) bytes")
        buffer.storeBytes(of: index.littleEndian, toByteOffset: 0, as: UInt64.self)
        buffer.storeBytes(of: sentAt.littleEndian, toByteOffset: 8, as: UInt64.self)
        for offset in minimumSize..<buffer.count {
            buffer[offset] = UInt8(truncatingIfNeeded: index &+ UInt64(offset))
        }
    }

    /// The index and send time of `message`, or nil if it is too short or its filler is wrong
    /// (a corrupted or foreign datagram).
    public static func read(_ message: UnsafeRawBufferPointer) -> (index: UInt64, sentAt: UInt64)? {
        guard message.count >= minimumSize else { return nil }
        let index = UInt64(littleEndian: message.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
        let sentAt = UInt64(littleEndian: message.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        for offset in minimumSize..<message.count where message[offset] != UInt8(truncatingIfNeeded: index &+ UInt64(offset)) {
            return nil
        }
        return (index, sentAt)
    }
}
