/// Writes packets into caller-owned buffers: header, SACK blocks, payload, then the CRC32C.
public enum PacketEncoder {
    /// Total datagram size of a packet with `sackCount` blocks and `payloadLength` payload bytes.
    @inlinable public static func size(sackCount: Int, payloadLength: Int) -> Int {
        WireLayout.overhead + sackCount * WireLayout.sackBlockSize + payloadLength
    }

    /// Encodes a packet whose payload is written in place by `writePayload` (which gets exactly
    /// `payloadLength` bytes to fill), so data moves from the send buffer to the datagram once.
    @inlinable public static func encode(
        _ header: PacketHeader, sacks: UnsafeBufferPointer<SackBlock> = UnsafeBufferPointer(start: nil, count: 0),
        payloadLength: Int, into buffer: UnsafeMutableRawBufferPointer,
        writePayload: (UnsafeMutableRawBufferPointer) -> Void
    ) throws(WireError) -> Int {
        guard sacks.count <= WireLayout.maxSackBlocks else { throw .tooManySackBlocks(sacks.count) }
        guard payloadLength >= 0 && payloadLength <= WireLayout.maxPayload else {
            throw .malformedPayload("payload of \(payloadLength) bytes exceeds \(WireLayout.maxPayload)")
        }
        let total = size(sackCount: sacks.count, payloadLength: payloadLength)
        guard buffer.count >= total else { throw .bufferTooSmall(needed: total, available: buffer.count) }
        buffer[WireLayout.versionOffset] = WireLayout.version
        buffer[WireLayout.typeOffset] = header.type.rawValue
        buffer[WireLayout.flagsOffset] = header.flags
        buffer[WireLayout.sackCountOffset] = UInt8(sacks.count)
        buffer.writeBigEndian(header.connectionID, at: WireLayout.connectionIDOffset)
        buffer.writeBigEndian(header.sequence.rawValue, at: WireLayout.sequenceOffset)
        buffer.writeBigEndian(header.acknowledgement.rawValue, at: WireLayout.acknowledgementOffset)
        buffer.writeBigEndian(header.window, at: WireLayout.windowOffset)
        buffer.writeBigEndian(header.timestamp, at: WireLayout.timestampOffset)
        buffer.writeBigEndian(header.timestampEcho, at: WireLayout.timestampEchoOffset)
        buffer.writeBigEndian(UInt16(payloadLength), at: WireLayout.payloadLengthOffset)
        buffer.writeBigEndian(UInt16(0), at: WireLayout.reservedOffset)
        var offset = WireLayout.headerSize
        for block in sacks {
            buffer.writeBigEndian(block.start.rawValue, at: offset)
            buffer.writeBigEndian(block.end.rawValue, at: offset + 4)
            offset += WireLayout.sackBlockSize
        }
        writePayload(UnsafeMutableRawBufferPointer(rebasing: buffer[offset..<(offset + payloadLength)]))
        let crcEnd = total - WireLayout.checksumSize
        let crc = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: buffer[0..<crcEnd]))
        buffer.writeBigEndian(crc, at: crcEnd)
        return total
    }

    /// Encodes a packet whose payload is copied from `payload`.
    @inlinable public static func encode(
        _ header: PacketHeader, sacks: UnsafeBufferPointer<SackBlock> = UnsafeBufferPointer(start: nil, count: 0),
        payload: UnsafeRawBufferPointer, into buffer: UnsafeMutableRawBufferPointer
    ) throws(WireError) -> Int {
        try encode(header, sacks: sacks, payloadLength: payload.count, into: buffer) { destination in
            if payload.count > 0 { destination.copyMemory(from: payload) }
        }
    }

    /// Convenience for control packets and tests: encodes into a new array.
    public static func encode(_ header: PacketHeader, sacks: [SackBlock] = [], payload: [UInt8] = []) throws(WireError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: size(sackCount: sacks.count, payloadLength: payload.count))
        let result: Result<Int, WireError> = out.withUnsafeMutableBytes { buffer in
            sacks.withUnsafeBufferPointer { sackPointer in
                payload.withUnsafeBytes { payloadPointer in
                    Result { () throws(WireError) -> Int in
                        try encode(header, sacks: sackPointer, payload: payloadPointer, into: buffer)
                    }
                }
            }
        }
        _ = try result.get()
        return out
    }
}
