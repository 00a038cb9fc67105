import RUDP
import Testing

/// `Receiver.handleDeliveringInOrder`: in-order payloads skip the reassembly buffer, and the
/// application still sees every byte once, in order.
@Suite struct DirectDeliveryTests {
    let isn: UInt32 = UInt32.max - 2  // data crosses the wrap

    func receiver(_ delivery: DeliveryOrder = .ordered) throws -> Receiver {
        var offer = SynPayload(mode: .selectiveRepeat, mss: 100, window: 8, fileSize: nil, name: Array("f".utf8))
        offer.delivery = delivery
        let syn = try PacketEncoder.encode(PacketHeader(type: .syn, connectionID: 7, sequence: SequenceNumber(isn)),
                                           payload: offer.encoded())
        let created = try syn.withUnsafeBytes { raw throws -> Receiver in
            try Receiver(syn: try PacketView.decode(raw), configuration: ReceiverConfiguration(initialSequence: 3), now: 0)
        }
        created.accept(now: 0)
        return created
    }

    func packet(_ index: UInt32) throws -> [UInt8] {
        try PacketEncoder.encode(
            PacketHeader(type: .data, connectionID: 7, sequence: SequenceNumber(isn) + 1 + index, timestamp: 1),
            payload: Array(repeating: UInt8(index), count: 20 + Int(index)))
    }

    /// The first byte of the payload handed back directly, if one was.
    func direct(_ receiver: Receiver, _ index: UInt32) throws -> UInt8? {
        try packet(index).withUnsafeBytes { raw in
            receiver.handleDeliveringInOrder(packet: try PacketView.decode(raw), now: 1_000).map { $0[0] }
        }
    }

    func read(_ receiver: Receiver) -> [UInt8] {
        var firstBytes: [UInt8] = []
        receiver.readDelivered { firstBytes.append($0[0]) }
        return firstBytes
    }

    @Test func inOrderPayloadsComeBackDirectlyAndTheRestThroughTheBuffer() throws {
        let receiver = try receiver()
        #expect(try direct(receiver, 0) == 0)
        #expect(try direct(receiver, 1) == 1)
        #expect(read(receiver) == [])
        #expect(try direct(receiver, 3) == nil, "a gap: buffered")
        #expect(try direct(receiver, 4) == nil)
        #expect(read(receiver) == [])
        #expect(try direct(receiver, 2) == 2, "fills the gap, and is itself next in order")
        #expect(read(receiver) == [3, 4], "then the buffered ones follow")
        #expect(try direct(receiver, 2) == nil, "a duplicate is never delivered twice")
        #expect(try direct(receiver, 5) == 5)
        #expect(receiver.statistics.bytesDelivered == UInt64((0...5).reduce(0) { $0 + 20 + $1 }))
        #expect(receiver.statistics.duplicates == 1)
    }

    @Test func nothingSkipsDataTheApplicationHasNotReadYet() throws {
        let receiver = try receiver()
        try packet(0).withUnsafeBytes { receiver.handle(packet: try PacketView.decode($0), now: 1_000) }
        #expect(try direct(receiver, 1) == nil, "packet 0 is still waiting to be read")
        #expect(read(receiver) == [0, 1])
        #expect(try direct(receiver, 2) == 2)
    }

    @Test func unorderedDeliveryNeverTakesTheDirectPath() throws {
        let receiver = try receiver(.unordered)
        #expect(try direct(receiver, 0) == nil)
        #expect(try direct(receiver, 2) == nil)
        #expect(read(receiver) == [0, 2])
    }

    @Test func theAcknowledgementCoversDirectlyDeliveredPackets() throws {
        let receiver = try receiver()
        for index: UInt32 in 0..<3 { _ = try direct(receiver, index) }
        receiver.handleTimeout(now: 10_000_000)  // the delayed ACK is due by now
        var datagram = [UInt8](repeating: 0, count: 1_500)
        var acknowledgement: SequenceNumber?
        while let length = datagram.withUnsafeMutableBytes({ receiver.pollTransmit(into: $0, now: 10_000_000) }) {
            let header = try datagram.withUnsafeBytes { try PacketView.decode(UnsafeRawBufferPointer(rebasing: $0[0..<length])).header }
            if header.type == .ack { acknowledgement = header.acknowledgement }
        }
        #expect(acknowledgement == SequenceNumber(isn) + 4)
    }
}
