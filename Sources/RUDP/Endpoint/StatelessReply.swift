/// An answer the endpoint sends outside any live connection: an RST to a packet of no
/// connection (or to a SYN it cannot take), or the FIN-ACK of a transfer confirmed and
/// forgotten. Kept as fields and encoded only when the driver asks for it, so a flood of
/// strays costs no memory beyond the endpoint's bounded queue.
enum StatelessReply {
    case reset(to: PeerAddress, connectionID: UInt32, code: ResetCode, message: String, limit: Int)
    case finAck(to: PeerAddress, connectionID: UInt32, acknowledgement: SequenceNumber, echo: UInt32)

    var destination: PeerAddress {
        switch self {
        case .reset(let peer, _, _, _, _), .finAck(let peer, _, _, _): peer
        }
    }

    /// Encodes the reply into `buffer`; nil when not even an RST with an empty message fits its limit.
    func encode(into buffer: UnsafeMutableRawBufferPointer, now: UInt64) -> Int? {
        switch self {
        case .reset(_, let connectionID, let code, let message, let limit):
            let header = PacketHeader(type: .reset, connectionID: connectionID, timestamp: WireClock.timestamp(now))
            return Self.encodeReset(header, code: code, message: message, limit: limit, into: buffer)
        case .finAck(_, let connectionID, let acknowledgement, let echo):
            let header = PacketHeader(type: .finAck, connectionID: connectionID, acknowledgement: acknowledgement,
                                      timestamp: WireClock.timestamp(now), timestampEcho: echo)
            return try? PacketEncoder.encode(header, payload: UnsafeRawBufferPointer(start: nil, count: 0), into: buffer)
        }
    }

    /// Encodes an RST whose message is cut (at a character boundary) so the datagram fits `limit`.
    static func encodeReset(_ header: PacketHeader, code: ResetCode, message: String, limit: Int,
                            into buffer: UnsafeMutableRawBufferPointer) -> Int? {
        let empty = PacketEncoder.size(sackCount: 0, payloadLength: 2)
        guard limit >= empty else { return nil }
        var text = Substring(message)
        while text.utf8.count > limit - empty { text = text.dropLast() }
        let payload = ResetPayload(code: code, message: String(text)).encoded()
        return payload.withUnsafeBytes { try? PacketEncoder.encode(header, payload: $0, into: buffer) }
    }

    /// Re-encodes the RST of `length` bytes in `buffer` with its message cut to fit `limit` bytes;
    /// nil if it is not an RST or not even an empty message fits.
    static func shortenReset(in buffer: UnsafeMutableRawBufferPointer, length: Int, to limit: Int) -> Int? {
        guard let packet = try? PacketView.decode(UnsafeRawBufferPointer(rebasing: buffer[0..<length])),
              packet.header.type == .reset, let reset = try? ResetPayload(decoding: packet.payload) else { return nil }
        return encodeReset(packet.header, code: reset.code, message: reset.message, limit: limit, into: buffer)
    }
}
