import RUDP
import Testing

/// RFC 2198-style redundancy: each small message also carries the unacknowledged one before it,
/// so a single loss is repaired by the next packet, without a round trip, and never delivered twice.
@Suite struct RedundancyTests {
    let datagram = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)

    func packets(from sender: Sender, now: UInt64) -> [[UInt8]] {
        var out: [[UInt8]] = []
        while let length = sender.pollTransmit(into: datagram, now: now) { out.append(Array(datagram[0..<length])) }
        return out
    }

    func connectedPair(redundancy: Int) throws -> (Sender, Receiver) {
        var configuration = SenderConfiguration(mode: .selectiveRepeat, window: 8, connectionID: 7, initialSequence: 100,
                                                fileName: Array("messages".utf8), fileSize: nil)
        configuration.delivery = .unordered
        configuration.redundancy = redundancy
        let sender = Sender(configuration: configuration, now: 0)
        let syn = try #require(packets(from: sender, now: 0).first)
        let receiver = try syn.withUnsafeBytes {
            try Receiver(syn: PacketView.decode($0), configuration: ReceiverConfiguration(initialSequence: 9), now: 0)
        }
        #expect(receiver.offer.sendsRedundantData == (redundancy > 0), "the SYN announces the copies")
        receiver.accept(now: 0)
        while let length = receiver.pollTransmit(into: datagram, now: 0) {
            sender.handle(packet: try PacketView.decode(UnsafeRawBufferPointer(rebasing: datagram[0..<length])), now: 1_000_000)
        }
        #expect(sender.state == .transferring)
        return (sender, receiver)
    }

    @Test func aLostMessageArrivesWithTheNextPacketAndIsDeliveredOnce() throws {
        defer { datagram.deallocate() }
        let (sender, receiver) = try connectedPair(redundancy: 1)
        for message in 1...3 { #expect([UInt8](repeating: UInt8(message), count: 40).withUnsafeBytes { sender.writeMessage($0) }) }
        let sent = packets(from: sender, now: 2_000_000)
        #expect(sent.count == 3)
        #expect(sent[0].count < sent[1].count, "the first packet has nothing before it to copy")
        var delivered: [[UInt8]] = []
        for (number, bytes) in sent.enumerated() where number != 1 {  // the second message is lost
            try bytes.withUnsafeBytes { receiver.handle(packet: try PacketView.decode($0), now: 3_000_000) }
            receiver.readDelivered { delivered.append(Array($0)) }
        }
        #expect(delivered.map { $0.first } == [1, 2, 3], "the third packet's copy brought the second message")
        #expect(delivered.allSatisfy { $0.count == 40 })
        #expect(receiver.statistics.recoveredFromCopies == 1)
        #expect(receiver.statistics.unusedCopies == 0)
        #expect(sender.statistics.redundantCopiesSent == 2)
        #expect(sender.statistics.redundantBytesSent == 80)
    }

    /// A message whose copy rode in a later packet waits for that packet's timeout, not its own:
    /// the copy may be what arrives (or the later packet's ACK, if the first one's was lost).
    /// Without it, a message stream on a jitter-free path resent about as often with copies as
    /// without (30 against 31 of 1,000 messages at 2 % loss: the next ACK comes one interval late).
    @Test func aMessageWhoseCopyRodeLaterTimesOutFromThatCopy() throws {
        defer { datagram.deallocate() }
        let (sender, _) = try connectedPair(redundancy: 1)
        _ = [UInt8](repeating: 1, count: 40).withUnsafeBytes { sender.writeMessage($0) }
        #expect(packets(from: sender, now: 2_000_000).count == 1)
        _ = [UInt8](repeating: 2, count: 40).withUnsafeBytes { sender.writeMessage($0) }
        #expect(packets(from: sender, now: 22_000_000).count == 1, "the second message, with a copy of the first")
        let timeout = sender.timer.timeout
        sender.handleTimeout(now: 2_000_000 + timeout + 1)
        #expect(packets(from: sender, now: 2_000_000 + timeout + 1).isEmpty, "the copy sent at 22 ms is still in time")
        #expect(sender.statistics.timeouts == 0)
        sender.handleTimeout(now: 22_000_000 + timeout + 1)
        #expect(packets(from: sender, now: 22_000_000 + timeout + 1).count >= 1, "neither arrived: resent")
        #expect(sender.statistics.timeouts == 1)
    }

    @Test func redundantDataTheSynDidNotAnnounceFailsTheTransfer() throws {
        defer { datagram.deallocate() }
        let (_, receiver) = try connectedPair(redundancy: 0)
        let (other, _) = try connectedPair(redundancy: 1)
        for message in 1...2 { _ = [UInt8](repeating: UInt8(message), count: 40).withUnsafeBytes { other.writeMessage($0) } }
        let sent = packets(from: other, now: 2_000_000)
        try sent[1].withUnsafeBytes { receiver.handle(packet: try PacketView.decode($0), now: 3_000_000) }
        guard case .failed = receiver.state else {
            Issue.record("a receiver that was not told of copies must refuse them, not deliver them as data")
            return
        }
    }

    @Test func aMalformedCopyHeaderIsRejectedByTheDecoder() {
        let noRoomForOwnData: [UInt8] = [1, 0, 1, 0, 3, 0xAA, 0xBB, 0xCC]
        #expect(throws: WireError.self) { try noRoomForOwnData.withUnsafeBytes { _ = try RedundantPayload(decoding: $0) } }
        let distanceZero: [UInt8] = [1, 0, 0, 0, 1, 0xAA, 0xBB]
        #expect(throws: WireError.self) { try distanceZero.withUnsafeBytes { _ = try RedundantPayload(decoding: $0) } }
        let valid: [UInt8] = [1, 0, 2, 0, 1, 0xAA, 0xBB]
        valid.withUnsafeBytes { bytes in
            let payload = try? RedundantPayload(decoding: bytes)
            #expect(payload?.copyCount == 1)
            #expect(payload.map { Array($0.primary) } == [0xBB])
        }
    }
}
