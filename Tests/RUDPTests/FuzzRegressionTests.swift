import RUDP
import Testing

/// Inputs the fuzz targets in Fuzz/ found to break an invariant, kept as tests once fixed.
@Suite struct FuzzRegressionTests {
    /// decoder target: a SYN whose name exceeds the 4,096-byte limit was encoded with the full
    /// length in its length field but only 4,096 name bytes, so the receiver could not decode it
    /// and dropped it silently; the sender then reported the receiver unreachable.
    @Test(arguments: [4_096, 4_097, 4_131, 65_535, 70_000])
    func anOverlongNameStillEncodesADecodableSyn(length: Int) throws {
        let syn = SynPayload(mode: .selectiveRepeat, mss: 1200, window: 64, fileSize: 10,
                             name: Array(repeating: 0x61, count: length))
        let decoded = try syn.encoded().withUnsafeBytes { bytes throws(WireError) in try SynPayload(decoding: bytes) }
        #expect(decoded.name.count == min(length, SynPayload.maxNameLength))
        #expect(decoded.mss == 1200 && decoded.window == 64 && decoded.fileSize == 10)
    }

    /// sender target: after a retransmission timeout, an ACK whose echoed timestamp claims a
    /// round trip longer than the sender's clock had run (the clock starts at 0; a wire
    /// timestamp can be 35 minutes old) made the spurious-timeout check subtract past zero.
    @Test func anEchoOlderThanTheClockAfterATimeoutIsNoCrash() throws {
        let ms: UInt64 = 1_000_000
        let sender = Sender(configuration: SenderConfiguration(mode: .selectiveRepeat, mss: 100, window: 4, connectionID: 7,
                                                               initialSequence: 10, fileName: Array("f".utf8), fileSize: 200),
                            now: 0)
        var buffer = [UInt8](repeating: 0, count: 2_048)
        func drain(_ now: UInt64) { buffer.withUnsafeMutableBytes { while sender.pollTransmit(into: $0, now: now) != nil {} } }
        func deliver(_ header: PacketHeader, payload: [UInt8] = [], sacks: [SackBlock] = [], now: UInt64) throws {
            let bytes = try PacketEncoder.encode(header, sacks: sacks, payload: payload)
            bytes.withUnsafeBytes { _ = sender.handle(datagram: $0, now: now) }
        }
        drain(0)
        try deliver(PacketHeader(type: .synAck, connectionID: 7, acknowledgement: SequenceNumber(11), window: 4, timestamp: 1),
                    payload: SynAckPayload(mss: 100, window: 4).encoded(), now: ms)
        _ = [UInt8](repeating: 1, count: 200).withUnsafeBytes { sender.write($0) }
        drain(ms)
        sender.handleTimeout(now: 2_000 * ms)  // the first packet's timer expires: it is resent
        drain(2_000 * ms)
        #expect(sender.statistics.timeouts == 1)
        // Acknowledges both packets, echoing a timestamp from 30 minutes before the clock began.
        let echo = UInt32(truncatingIfNeeded: (2_000 * ms) / 1_000) &- 1_800_000_000
        try deliver(PacketHeader(type: .ack, connectionID: 7, sequence: SequenceNumber(1), acknowledgement: SequenceNumber(13),
                                 window: 4, timestamp: 2, timestampEcho: echo), now: 2_001 * ms)
        #expect(sender.statistics.bytesAcknowledged == 200)
    }
}
