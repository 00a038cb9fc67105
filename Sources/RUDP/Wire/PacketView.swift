/// A validated, zero-copy view of one received packet; valid only while its buffer is.
///
/// `decode` checks every length and the CRC before any field is exposed, so holding a
/// `PacketView` means the packet is well formed: reading it never goes out of bounds.
public struct PacketView {
    public let header: PacketHeader
    public let sackCount: Int
    /// The payload bytes (inside the datagram buffer).
    public let payload: UnsafeRawBufferPointer
    private let sackBytes: UnsafeRawBufferPointer

    /// Validates `datagram` and returns a view of it, or the reason it is not a packet.
    public static func decode(_ datagram: UnsafeRawBufferPointer) throws(WireError) -> PacketView {
        let length = datagram.count
        guard length >= WireLayout.overhead else {
            throw .truncated(length: length, needed: WireLayout.overhead)
        }
        let version = datagram[WireLayout.versionOffset]
        guard version == WireLayout.version else { throw .unsupportedVersion(version) }
        let rawType = datagram[WireLayout.typeOffset]
        guard let type = PacketType(rawValue: rawType) else { throw .unknownType(rawType) }
        let sackCount = Int(datagram[WireLayout.sackCountOffset])
        guard sackCount <= WireLayout.maxSackBlocks else { throw .tooManySackBlocks(sackCount) }
        let payloadLength = Int(datagram.readBigEndian(WireLayout.payloadLengthOffset, as: UInt16.self))
        let declared = WireLayout.overhead + sackCount * WireLayout.sackBlockSize + payloadLength
        guard declared == length else { throw .lengthMismatch(declared: declared, actual: length) }
        let checked = UnsafeRawBufferPointer(rebasing: datagram[0..<(length - WireLayout.checksumSize)])
        let expected = datagram.readBigEndian(length - WireLayout.checksumSize, as: UInt32.self)
        guard CRC32C.checksum(checked) == expected else { throw .checksumMismatch }

        let header = PacketHeader(
            type: type,
            flags: datagram[WireLayout.flagsOffset],
            connectionID: datagram.readBigEndian(WireLayout.connectionIDOffset, as: UInt32.self),
            sequence: SequenceNumber(datagram.readBigEndian(WireLayout.sequenceOffset, as: UInt32.self)),
            acknowledgement: SequenceNumber(datagram.readBigEndian(WireLayout.acknowledgementOffset, as: UInt32.self)),
            window: datagram.readBigEndian(WireLayout.windowOffset, as: UInt32.self),
            timestamp: datagram.readBigEndian(WireLayout.timestampOffset, as: UInt32.self),
            timestampEcho: datagram.readBigEndian(WireLayout.timestampEchoOffset, as: UInt32.self))
        let sackEnd = WireLayout.headerSize + sackCount * WireLayout.sackBlockSize
        return PacketView(
            header: header, sackCount: sackCount,
            payload: UnsafeRawBufferPointer(rebasing: datagram[sackEnd..<(sackEnd + payloadLength)]),
            sackBytes: UnsafeRawBufferPointer(rebasing: datagram[WireLayout.headerSize..<sackEnd]))
    }

    /// The SACK block at `index` (0 ..< sackCount).
    public func sackBlock(at index: Int) -> SackBlock {
        precondition(index >= 0 && index < sackCount, "SACK index out of range")
        let offset = index * WireLayout.sackBlockSize
        return SackBlock(start: SequenceNumber(sackBytes.readBigEndian(offset, as: UInt32.self)),
                         end: SequenceNumber(sackBytes.readBigEndian(offset + 4, as: UInt32.self)))
    }

    public var sackBlocks: [SackBlock] { (0..<sackCount).map(sackBlock(at:)) }
}
