/// Builds datagrams for the harnesses: well-formed packets from chosen fields, and arbitrary
/// bytes with their CRC32C repaired so that they get past the checksum into deeper code.
final class PacketForge {
    /// Room for the largest datagram.
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)

    deinit { buffer.deallocate() }

    /// Encodes a packet; returns a view of the datagram (valid until the next call).
    func packet(_ header: PacketHeader, sacks: [SackBlock] = [], payload: [UInt8] = []) -> UnsafeRawBufferPointer {
        let length = sacks.withUnsafeBufferPointer { sackPointer in
            payload.withUnsafeBytes { payloadPointer in
                try? PacketEncoder.encode(header, sacks: sackPointer, payload: payloadPointer, into: buffer)
            }
        }
        guard let length else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(rebasing: buffer[0..<length])
    }

    /// `bytes` as a datagram; with `repairChecksum`, its last four bytes become the CRC32C of the rest.
    func raw(_ bytes: [UInt8], repairChecksum: Bool) -> UnsafeRawBufferPointer {
        let count = min(bytes.count, buffer.count)
        bytes.withUnsafeBytes { source in
            UnsafeMutableRawBufferPointer(rebasing: buffer[0..<count])
                .copyMemory(from: UnsafeRawBufferPointer(rebasing: source[0..<count]))
        }
        if repairChecksum && count >= WireLayout.checksumSize {
            let end = count - WireLayout.checksumSize
            buffer.writeBigEndian(CRC32C.checksum(UnsafeRawBufferPointer(rebasing: buffer[0..<end])), at: end)
        }
        return UnsafeRawBufferPointer(rebasing: buffer[0..<count])
    }

    /// A header of any type with fields drawn from the input (the harness overrides the ones it aims).
    static func header(_ input: inout FuzzInput, connectionID: UInt32) -> PacketHeader {
        let type = PacketType.allCases[input.below(PacketType.allCases.count)]
        return PacketHeader(type: type, flags: input.chance(4) ? input.byte() : 0, connectionID: connectionID,
                            sequence: SequenceNumber(input.integer()), acknowledgement: SequenceNumber(input.integer()),
                            window: input.integer(), timestamp: input.integer(), timestampEcho: input.integer())
    }
}

/// The bytes a harness's application writes: byte `offset` of the file is a function of `offset`.
enum FuzzContent {
    @inline(__always) static func byte(at offset: Int) -> UInt8 {
        UInt8(truncatingIfNeeded: (offset &* 131) ^ (offset >> 7) ^ 0x5A)
    }

    static func bytes(from offset: Int, count: Int) -> [UInt8] {
        (0..<count).map { byte(at: offset + $0) }
    }

    static func digest(size: Int) -> SHA256Digest { SHA256.hash(bytes(from: 0, count: size)) }
}
