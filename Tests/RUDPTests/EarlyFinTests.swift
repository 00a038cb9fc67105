import Impairment
import RUDP
import RUDPSim
import Testing

/// Go-Back-N and Selective Repeat send the FIN right behind the last DATA packet; the receiver
/// keeps it until the data is complete. The close then costs no round trip of its own.
@Suite struct EarlyFinTests {
    static let ms: UInt64 = 1_000_000
    let script = SenderScriptTests()

    @Test(arguments: [TransferMode.goBackN, .selectiveRepeat])
    func theFinFollowsTheLastDataPacketBeforeAnyAcknowledgement(mode: TransferMode) {
        let sender = script.makeSender(mode: mode, window: 4)
        script.connect(sender, at: 10 * Self.ms)
        _ = [UInt8](repeating: 5, count: 250).withUnsafeBytes { sender.write($0) }
        sender.finishWriting(sha256: SHA256.hash([UInt8](repeating: 5, count: 250)))
        let flight = script.transmitted(sender, now: 10 * Self.ms)
        #expect(flight.map(\.0.type) == [.data, .data, .data, .fin])
        #expect(sender.state == .transferring, "data is still unacknowledged")
        // The FIN-ACK alone says the receiver verified everything: no ACK of the data needed.
        let finSequence = flight[3].0.sequence
        script.deliver(sender, PacketHeader(type: .finAck, connectionID: script.connectionID, acknowledgement: finSequence + 1,
                                            timestamp: 11, timestampEcho: flight[3].0.timestamp), now: 14 * Self.ms)
        #expect(sender.state == .finished)
        #expect(sender.statistics.bytesAcknowledged == 250)
    }

    @Test func stopAndWaitSendsItsFinOnlyOnceTheLastPacketIsAcknowledged() {
        let sender = script.makeSender(mode: .stopAndWait, window: 1)
        script.connect(sender, at: 10 * Self.ms)
        _ = [UInt8](repeating: 5, count: 50).withUnsafeBytes { sender.write($0) }
        sender.finishWriting(sha256: SHA256.hash([UInt8](repeating: 5, count: 50)))
        #expect(script.transmitted(sender, now: 10 * Self.ms).map(\.0.type) == [.data])
        script.deliver(sender, script.ack(1), now: 12 * Self.ms)
        #expect(script.transmitted(sender, now: 12 * Self.ms).map(\.0.type) == [.fin])
        #expect(sender.state == .closing)
    }

    @Test(arguments: TransferMode.allCases)
    func aLossFreeTransferEndsOneRoundTripAfterItsLastPacket(mode: TransferMode) {
        let scenario = HandshakeAndTeardownTests.scenario(mode)  // 2 ms each way
        var lastSent: UInt64 = 0
        let outcome = TransferSimulation.run(scenario) { now, event in
            if case .sent = event { lastSent = now }
        }
        #expect(outcome.delivered)
        let tail = Double((outcome.senderEndTime ?? 0) - lastSent) / Double(Self.ms)
        // One round trip (4 ms) plus serialization; stop-and-wait's FIN takes a second one.
        let expected = mode == .stopAndWait ? 8.0 : 4.0
        #expect(abs(tail - expected) < 1, "\(mode): \(tail) ms from the last DATA packet to the end")
    }

    @Test(arguments: [TransferMode.goBackN, .selectiveRepeat])
    func aFinThatOvertakesALostPacketWaitsForItsRepair(mode: TransferMode) {
        // The fifth and last DATA packet is lost: the FIN behind it arrives first and is kept.
        let scenario = HandshakeAndTeardownTests.scenario(mode, forwardDrops: [6...6])
        let outcome = TransferSimulation.run(scenario)
        #expect(outcome.delivered, "\(outcome.summary(scenario))")
        #expect(outcome.bytesDelivered == 5_000)
        #expect(outcome.senderStatistics.retransmissions == 1, "only the lost packet goes again, not the FIN")
    }

    @Test(arguments: [TransferMode.goBackN, .selectiveRepeat])
    func everyAnswerLostStillEndsInAFinAckForTheResentData(mode: TransferMode) {
        // All ACKs and the FIN-ACK of the first pass are lost: the receiver completed, and
        // answers the data the sender resends with its FIN-ACK.
        let clean = TransferSimulation.run(HandshakeAndTeardownTests.scenario(mode))
        let answers = clean.reverseStatistics.received
        let scenario = HandshakeAndTeardownTests.scenario(mode, reverseDrops: [2...answers])
        let outcome = TransferSimulation.run(scenario)
        #expect(outcome.delivered, "\(outcome.summary(scenario))")
        #expect(outcome.senderStatistics.timeouts >= 1)
    }
}
