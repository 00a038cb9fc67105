import RUDP
import Testing

/// Reliable unordered delivery: each message reaches the application when it arrives.
@Suite struct UnorderedDeliveryTests {
    let isn: UInt32 = UInt32.max - 1  // data crosses the wrap

    func receiver(_ delivery: DeliveryOrder) throws -> Receiver {
        var offer = SynPayload(mode: .selectiveRepeat, mss: 100, window: 8, fileSize: nil, name: Array("m".utf8))
        offer.delivery = delivery
        let syn = try PacketEncoder.encode(PacketHeader(type: .syn, connectionID: 5, sequence: SequenceNumber(isn)),
                                           payload: offer.encoded())
        let created = try syn.withUnsafeBytes { raw throws -> Receiver in
            let view = try PacketView.decode(raw)
            return try Receiver(syn: view, configuration: ReceiverConfiguration(initialSequence: 9), now: 0)
        }
        created.accept(now: 0)
        return created
    }

    func deliver(_ receiver: Receiver, message index: UInt32) throws {
        let bytes = try PacketEncoder.encode(
            PacketHeader(type: .data, connectionID: 5, sequence: SequenceNumber(isn) + 1 + index, timestamp: 1),
            payload: Array(repeating: UInt8(index), count: 10 + Int(index)))
        bytes.withUnsafeBytes { #expect(receiver.handle(datagram: $0, now: 1_000) == nil) }
    }

    func read(_ receiver: Receiver) -> [UInt8] {
        var firstBytes: [UInt8] = []
        receiver.readDelivered { firstBytes.append($0[0]) }
        return firstBytes
    }

    @Test func messagesAfterALossAreDeliveredAtOnceOnlyWhenUnordered() throws {
        let unordered = try receiver(.unordered)
        let ordered = try receiver(.ordered)
        for receiver in [unordered, ordered] {
            try deliver(receiver, message: 1)
            try deliver(receiver, message: 2)
        }
        #expect(read(unordered) == [1, 2])
        #expect(read(ordered) == [])
        for receiver in [unordered, ordered] {
            try deliver(receiver, message: 0)
            try deliver(receiver, message: 2)  // a duplicate is never delivered twice
            try deliver(receiver, message: 3)
        }
        #expect(read(unordered) == [0, 3])
        #expect(read(ordered) == [0, 1, 2, 3])
        #expect(unordered.statistics.bytesDelivered == ordered.statistics.bytesDelivered)
        #expect(unordered.statistics.duplicates == 1)
    }

    @Test func theSynCarriesTheDeliveryOrder() throws {
        var offer = SynPayload(mode: .selectiveRepeat, mss: 100, window: 8, fileSize: nil, name: [])
        offer.delivery = .unordered
        let decoded = try offer.encoded().withUnsafeBytes { try SynPayload(decoding: $0) }
        #expect(decoded.delivery == .unordered)
        #expect(decoded == offer)
    }

    @Test func writeMessageSendsEachMessageAsItsOwnPacket() throws {
        var configuration = SenderConfiguration(mode: .selectiveRepeat, mss: 100, window: 4, connectionID: 5,
                                                initialSequence: isn, fileName: [], fileSize: nil)
        configuration.delivery = .unordered
        let sender = Sender(configuration: configuration, now: 0)
        var buffer = [UInt8](repeating: 0, count: 2_048)
        _ = buffer.withUnsafeMutableBytes { sender.pollTransmit(into: $0, now: 0) }  // SYN
        let synAck = try PacketEncoder.encode(
            PacketHeader(type: .synAck, connectionID: 5, acknowledgement: SequenceNumber(isn) + 1, window: 4),
            payload: SynAckPayload(mss: 100, window: 4).encoded())
        synAck.withUnsafeBytes { _ = sender.handle(datagram: $0, now: 10) }
        #expect([UInt8](repeating: 1, count: 30).withUnsafeBytes { sender.writeMessage($0) })
        #expect([UInt8](repeating: 2, count: 40).withUnsafeBytes { sender.writeMessage($0) })
        #expect(![UInt8](repeating: 3, count: 101).withUnsafeBytes { sender.writeMessage($0) }, "longer than the MSS")
        var lengths: [Int] = []
        while let length = buffer.withUnsafeMutableBytes({ sender.pollTransmit(into: $0, now: 20) }) {
            lengths.append(try buffer.withUnsafeBytes { try PacketView.decode(UnsafeRawBufferPointer(rebasing: $0[0..<length])).payload.count })
        }
        #expect(lengths == [30, 40])
    }
}
