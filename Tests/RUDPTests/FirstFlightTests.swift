import Impairment
import RUDP
import RUDPSim
import Testing

/// A congestion-controlled sender sends its initial window right behind the SYN; the receiver
/// holds that first flight until the sender proves its address, and acknowledges it with the
/// SYN-ACK, so the handshake's round trip carries data without the receiver trusting anyone.
@Suite struct FirstFlightTests {
    static let ms: UInt64 = 1_000_000
    let alice = PeerAddress(ipv4: 0x0a00_0001, port: 5_000)

    static func controlledSender(_ algorithm: CongestionAlgorithm = .bbr, mode: TransferMode = .selectiveRepeat,
                                 size: UInt64 = 30_000) -> Sender {
        var configuration = SenderConfiguration(mode: mode, mss: 1_000, window: 64, connectionID: 0xF1F1,
                                                initialSequence: 7_000, fileName: Array("f".utf8), fileSize: size)
        configuration.congestionControl = algorithm
        return Sender(configuration: configuration, now: 0)
    }

    static func types(_ datagrams: [[UInt8]]) -> [PacketType?] { datagrams.map(ReceiverEndpointTests.type) }

    @Test(arguments: [CongestionAlgorithm.reno, .cubic, .bbr])
    func theInitialWindowFollowsTheSyn(algorithm: CongestionAlgorithm) {
        let sender = Self.controlledSender(algorithm)
        #expect([UInt8](repeating: 1, count: 30_000).withUnsafeBytes { sender.write($0) } == 10_000, "ten packets before the SYN-ACK")
        let flight = ReceiverEndpointTests.datagrams(of: sender, now: 0)
        #expect(Self.types(flight) == [.syn] + Array(repeating: .data, count: 10))
        #expect(sender.state == .connecting)
        let echoes = flight.dropFirst().map { $0.withUnsafeBytes { try! PacketView.decode($0).header.timestampEcho } }
        #expect(echoes.allSatisfy { $0 == 0 }, "nothing to echo yet")
    }

    @Test func aWindowGrantedBelowTheFirstFlightTakesBackWhatItCannotHold() {
        let sender = Self.controlledSender(.reno)
        _ = [UInt8](repeating: 1, count: 30_000).withUnsafeBytes { sender.write($0) }
        let flight = ReceiverEndpointTests.datagrams(of: sender, now: 0)
        #expect(flight.count == 11)
        let syn = flight[0].withUnsafeBytes { try! PacketView.decode($0).header }
        // The receiver grants 4 packets: it kept DATA 0-3 of the flight and discarded the rest.
        let synAck = try! PacketEncoder.encode(PacketHeader(type: .synAck, connectionID: syn.connectionID,
                                                            acknowledgement: syn.sequence + 1, window: 4, timestamp: 5,
                                                            timestampEcho: syn.timestamp),
                                               payload: SynAckPayload(mss: 1_000, window: 4).encoded())
        synAck.withUnsafeBytes { _ = sender.handle(datagram: $0, now: 10 * Self.ms) }
        let ack = try! PacketEncoder.encode(PacketHeader(type: .ack, connectionID: syn.connectionID,
                                                         acknowledgement: syn.sequence + 5, window: 4, timestamp: 6,
                                                         timestampEcho: syn.timestamp))
        ack.withUnsafeBytes { _ = sender.handle(datagram: $0, now: 10 * Self.ms) }
        let next = ReceiverEndpointTests.datagrams(of: sender, now: 10 * Self.ms).map {
            $0.withUnsafeBytes { try! PacketView.decode($0).header.sequence.distance(from: syn.sequence + 1) }
        }
        #expect(next == [4, 5, 6, 7], "packets 4-7 go as the window now allows: \(next)")
        #expect(sender.statistics.retransmissions == 0, "what the receiver discarded counts as never sent")
    }

    @Test func theTextbookSenderWaitsForTheSynAck() {
        let sender = ReceiverEndpointTests.makeSender(size: 300)  // --cc none
        #expect([UInt8](repeating: 1, count: 300).withUnsafeBytes { sender.write($0) } == 0)
        #expect(Self.types(ReceiverEndpointTests.datagrams(of: sender, now: 0)) == [.syn])
    }

    @Test func theReceiverAcknowledgesTheFirstFlightWithTheSynAckAndDeliversItOnlyAfterTheProof() throws {
        let endpoint = ReceiverEndpointTests.makeEndpoint()
        let sender = Self.controlledSender()
        let file = (0..<30_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        _ = file.withUnsafeBytes { sender.write($0) }
        for datagram in ReceiverEndpointTests.datagrams(of: sender, now: 0) {
            ReceiverEndpointTests.deliver(datagram, to: endpoint, from: alice, now: 1 * Self.ms)
        }
        guard case .offered(let connection) = ReceiverEndpointTests.events(of: endpoint).first else {
            Issue.record("the SYN offers a connection")
            return
        }
        endpoint.accept(connection.handle, now: 1 * Self.ms)
        let answers = ReceiverEndpointTests.transmitted(by: endpoint, now: 1 * Self.ms)
        #expect(answers.map { ReceiverEndpointTests.type($0.bytes) } == [.synAck, .ack])
        #expect(!connection.isAddressValidated)
        #expect(!connection.receiver.hasDeliverableData, "nothing reaches the application before the proof")
        for answer in answers { answer.bytes.withUnsafeBytes { _ = sender.handle(datagram: $0, now: 2 * Self.ms) } }
        #expect(sender.state == .transferring)
        #expect(sender.statistics.bytesAcknowledged == 10_000, "the first flight is acknowledged with the SYN-ACK")
        // The next packets echo the receiver: the proof. The held flight is delivered first, in order.
        _ = file.withUnsafeBytes { sender.write(UnsafeRawBufferPointer(rebasing: $0[10_000...])) }
        var delivered: [UInt8] = []
        for datagram in ReceiverEndpointTests.datagrams(of: sender, now: 2 * Self.ms) {
            let outcome = ReceiverEndpointTests.deliver(datagram, to: endpoint, from: alice, now: 3 * Self.ms)
            if let payload = outcome.inOrderPayload { delivered += payload }
            connection.receiver.readDelivered { delivered += $0 }
        }
        #expect(connection.isAddressValidated)
        #expect(delivered == Array(file[0..<delivered.count]) && delivered.count >= 20_000, "\(delivered.count) bytes in order")
    }

    @Test("the receiver's trace records the first flight's ACK as the wire says it, 10 packets, not 0")
    func theFirstFlightsAckIsTracedAsSent() throws {
        let endpoint = ReceiverEndpointTests.makeEndpoint()
        let sender = Self.controlledSender()
        _ = [UInt8](repeating: 3, count: 30_000).withUnsafeBytes { sender.write($0) }
        for datagram in ReceiverEndpointTests.datagrams(of: sender, now: 0) {
            ReceiverEndpointTests.deliver(datagram, to: endpoint, from: alice, now: 1 * Self.ms)
        }
        guard case .offered(let connection) = ReceiverEndpointTests.events(of: endpoint).first else { return }
        final class Traced: @unchecked Sendable { var cumulative: [UInt64] = [] }
        let traced = Traced()
        connection.observe { _, event in
            if case .ackSent(let cumulative, _, _) = event { traced.cumulative.append(cumulative) }
        }
        endpoint.accept(connection.handle, now: 1 * Self.ms)
        let ack = try #require(ReceiverEndpointTests.transmitted(by: endpoint, now: 1 * Self.ms).first {
            ReceiverEndpointTests.type($0.bytes) == .ack
        })
        let header = try ack.bytes.withUnsafeBytes { try PacketView.decode($0).header }
        let syn = try ReceiverEndpointTests.datagrams(of: Self.controlledSender(), now: 0)[0].withUnsafeBytes {
            try PacketView.decode($0).header
        }
        #expect(header.acknowledgement.distance(from: syn.sequence + 1) == 10)
        #expect(traced.cumulative == [10])
    }

    @Test func aSpoofedSynWithAFlightBehindItHoldsABoundedCopyAndNothingElse() throws {
        let endpoint = ReceiverEndpointTests.makeEndpoint { $0.firstFlightBudget = 25_000 }
        var held: [InboundConnection] = []
        for id in UInt32(1)...3 {
            var configuration = SenderConfiguration(mode: .selectiveRepeat, mss: 1_000, window: 64, connectionID: id,
                                                    initialSequence: 7_000, fileName: Array("f".utf8), fileSize: 30_000)
            configuration.congestionControl = .bbr
            let sender = Sender(configuration: configuration, now: 0)
            _ = [UInt8](repeating: 2, count: 30_000).withUnsafeBytes { sender.write($0) }
            let flight = ReceiverEndpointTests.datagrams(of: sender, now: 0)
            for datagram in flight { ReceiverEndpointTests.deliver(datagram, to: endpoint, from: alice, now: 0) }
            for event in ReceiverEndpointTests.events(of: endpoint) {
                if case .offered(let connection) = event {
                    endpoint.accept(connection.handle, now: 0)
                    held.append(connection)
                }
            }
            // The victim at alice's address never answers; what it is sent stays within 3×.
            let sent = ReceiverEndpointTests.transmitted(by: endpoint, now: 0).reduce(0) { $0 + $1.bytes.count }
            #expect(sent <= 3 * flight.reduce(0) { $0 + $1.count })
        }
        let heldBytes = held.map(\.receiver.firstFlightBytes)
        #expect(heldBytes.reduce(0, +) <= 25_000, "the budget across connections: \(heldBytes)")
        #expect(heldBytes[2] < heldBytes[0], "the third flight found the budget nearly spent: \(heldBytes)")
        #expect(held.allSatisfy { !$0.isAddressValidated && !$0.receiver.hasDeliverableData })
        #expect(endpoint.establishedCount == 0)
    }

    @Test(arguments: [TransferMode.goBackN, .selectiveRepeat])
    func theFirstAcknowledgementOfDataComesWithTheSynAck(mode: TransferMode) {
        var scenario = TransferScenario(mode: mode, size: 200_000, seed: 5)
        scenario.mss = 1_000
        scenario.window = 256
        scenario.congestionControl = .reno
        scenario.impairBoth(TestLinks.delayOnly(10_000_000))  // 20 ms round trip
        var firstDataAcknowledgement: UInt64?
        let outcome = TransferSimulation.run(scenario) { now, event in
            if case .acknowledged(let cumulative, _, _) = event, cumulative > 0, firstDataAcknowledgement == nil {
                firstDataAcknowledgement = now
            }
        }
        #expect(outcome.delivered, "\(outcome.summary(scenario))")
        let at = Double(firstDataAcknowledgement ?? 0) / Double(Self.ms)
        #expect(at >= 20 && at < 25, "one round trip after the SYN, not two: \(at) ms")
    }

    @Test func aLostSynTakesItsFlightBackAndResendsItAfterTheHandshakeWithoutADataTimeout() {
        var scenario = TransferScenario(mode: .selectiveRepeat, size: 50_000, seed: 9)
        scenario.mss = 1_000
        scenario.window = 64
        scenario.congestionControl = .bbr
        var forward = TestLinks.delayOnly(10_000_000)
        forward.scriptedDrops = [1...1]  // the SYN; its flight arrives and finds no connection
        scenario.forward = forward
        scenario.reverse = TestLinks.delayOnly(10_000_000)
        let outcome = TransferSimulation.run(scenario)
        #expect(outcome.delivered, "\(outcome.summary(scenario))")
        #expect(outcome.senderStatistics.timeouts == 1, "the SYN's own, no data packet's")
        #expect(outcome.senderStatistics.retransmissions == 10, "the whole first flight, once")
        #expect(outcome.reverseStatistics.received < 60, "no RST storm: a flight without its SYN is dropped")
    }
}
