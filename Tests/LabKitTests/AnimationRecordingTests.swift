import RUDP
import Testing
@testable import LabKit

/// The events an animation records from the simulator: the real sender and receiver, with the
/// link losing exactly the datagrams asked for.
@Suite struct AnimationRecordingTests {
    @Test func killingTheFirstPacketUnderStopAndWaitCostsOneTimeoutAndOneResendOfPacketZero() throws {
        var scenario = AnimationScenario(mode: .stopAndWait, window: 1, packets: 3)
        scenario.dataLosses = [.init(index: 0)]
        let run = try ScenarioRecorder.record(scenario)

        #expect(run.timeouts.count == 1)
        #expect(run.timeouts.first?.index == 0)
        #expect(run.retransmissions.map(\.index) == [0])
        let zero = run.transmissions(of: 0)
        #expect(zero.count == 2)
        #expect(zero[0].lost && !zero[1].lost)
        // The resend leaves when the timer that started with the first sending expires.
        let timeout = try #require(run.timeouts.first)
        #expect(zero[1].sent == timeout.time)
        let armed = try #require(run.senderState(at: zero[0].sent))
        #expect(armed.timerDeadline == timeout.time)
        // Every packet arrives once, and the transfer ends with everything acknowledged.
        #expect((0..<3).allSatisfy { index in run.transmissions(of: index).filter { !$0.lost }.count == 1 })
        #expect(run.senderStates.last?.phase == "finished")
        #expect(run.receiverStates.last?.expected == 3)
    }

    @Test func onlyTheDatagramsTheLinkDroppedAreShownLost() throws {
        // No loss asked for: the sender's ACKs of the FIN-ACK, still on the link when the
        // transfer ended, are drawn arriving (estimated), not lost.
        let run = try ScenarioRecorder.record(AnimationScenario(mode: .goBackN, window: 5, packets: 6))
        #expect(run.flights.allSatisfy { !$0.lost }, "\(run.flights.filter(\.lost).map(\.label))")
        #expect(run.flights.contains { $0.estimated }, "the closing ACKs were still in flight")
    }

    @Test func aLostAckUnderGoBackNIsCoveredByTheNextCumulativeAck() throws {
        var scenario = AnimationScenario(mode: .goBackN, window: 4, packets: 6)
        scenario.ackLosses = [0]
        let run = try ScenarioRecorder.record(scenario)

        let acks = run.flights.filter { $0.kind == .ack }
        #expect(acks.first?.lost == true)
        #expect(acks.first?.cumulative == 1)
        #expect(acks.dropFirst().allSatisfy { !$0.lost })
        #expect(run.retransmissions.isEmpty)
        #expect(run.timeouts.isEmpty)
    }

    @Test func goBackNResendsTheWindowWhileSelectiveRepeatResendsTheHole() throws {
        var gbn = AnimationScenario(mode: .goBackN, window: 4, packets: 6)
        gbn.dataLosses = [.init(index: 1)]
        var sr = gbn
        sr.mode = .selectiveRepeat
        let goBackN = try ScenarioRecorder.record(gbn)
        let selective = try ScenarioRecorder.record(sr)

        #expect(Set(goBackN.retransmissions.compactMap(\.index)).isSuperset(of: [1, 2, 3, 4]))
        #expect(selective.retransmissions.compactMap(\.index) == [1])
        // SR holds what came after the hole; GBN throws it away.
        #expect(selective.receiverStates.contains { $0.buffered == [2, 3, 4] })
        #expect(goBackN.receiverStates.allSatisfy { $0.buffered.isEmpty })
        #expect((goBackN.receiverStates.last?.discarded ?? 0) >= 3)
    }

    @Test func aSecondSendingCanBeLostToo() throws {
        var scenario = AnimationScenario(mode: .stopAndWait, window: 1, packets: 2)
        scenario.dataLosses = [.init(index: 1), .init(index: 1, transmission: 2)]
        let run = try ScenarioRecorder.record(scenario)

        #expect(run.transmissions(of: 1).map(\.lost) == [true, true, false])
        #expect(run.timeouts.count == 2)
    }

    @Test func losingAPacketTheTransferDoesNotHaveIsRefused() {
        var scenario = AnimationScenario(mode: .goBackN, window: 4, packets: 6)
        scenario.dataLosses = [.init(index: 6)]
        #expect(throws: ScenarioRecorder.Failure.self) { try ScenarioRecorder.record(scenario) }
    }
}
