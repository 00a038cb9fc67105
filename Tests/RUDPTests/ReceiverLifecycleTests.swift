import Impairment
import RUDP
import RUDPSim
import Testing

/// The receiver's life around one transfer (issue 17, cases 1, 3 and 10): a `--once` receiver
/// stays while its sender may still retransmit the FIN, ends on a failed handshake, and gives a
/// transfer up no sooner than its sender would.
@Suite struct ReceiverLifecycleTests {
    static let ms: UInt64 = 1_000_000

    /// Stop-and-wait of a 1,201-byte file on a fast path, losing the given datagrams.
    static func smallTransfer(_ lifecycle: ReceiverLifecycle, forwardDrops: [ClosedRange<Int>] = [],
                              reverseDrops: [ClosedRange<Int>] = []) -> TransferScenario {
        var scenario = TransferScenario(mode: .stopAndWait, size: 1_201, seed: 1)
        scenario.mss = 1_200
        scenario.forward = TestLinks.delayOnly(100_000)
        scenario.forward.scriptedDrops = forwardDrops
        scenario.reverse = TestLinks.delayOnly(100_000)
        scenario.reverse.scriptedDrops = reverseDrops
        scenario.receiverLifecycle = lifecycle
        return scenario
    }

    // MARK: Case 1: a --once receiver and a retransmitted FIN

    /// The issue's run: the first FIN-ACK (4th reply) is lost, and so are the next three FINs
    /// (datagrams 5-7). The FIN that finally arrives must find the receiver still there.
    @Test(arguments: ReceiverLifecycle.allCases)
    func aFinRetransmittedAfterALostFinAckIsConfirmed(lifecycle: ReceiverLifecycle) {
        let scenario = Self.smallTransfer(lifecycle, forwardDrops: [5...7], reverseDrops: [4...4])
        let outcome = TransferSimulation.run(scenario)
        #expect(outcome.delivered, "\(outcome.summary(scenario))")
        #expect(outcome.finsUnanswered == 0)
        #expect(CampaignVerdict(outcome, scenario: scenario) == .delivered)
        if lifecycle == .once {
            let exit = try? #require(outcome.receiverExitTime)
            #expect(exit.map { $0 >= outcome.senderEndTime! } == true, "the receiver stays until the sender is done")
        }
    }

    /// Every FIN-ACK lost: the one disagreement no protocol avoids. A --once receiver still
    /// answers every FIN its sender sends, staying until the sender gave up.
    @Test func withEveryFinAckLostTheOnceReceiverOutlastsTheSendersRetries() {
        let scenario = Self.smallTransfer(.once, reverseDrops: [4...Int.max])
        let outcome = TransferSimulation.run(scenario)
        #expect(outcome.receiverState == .completed)
        #expect(outcome.senderState == .failed(.retriesExhausted(what: "the FIN", attempts: 10)))
        #expect(outcome.finsUnanswered == 0, "each of the 11 FINs met the receiver")
        #expect(outcome.receiverExitTime.map { $0 >= outcome.senderEndTime! } == true)
        #expect(CampaignVerdict(outcome, scenario: scenario) == .finAcknowledgementLost)
    }

    /// The sender acknowledges the FIN-ACK, so a --once receiver exits a one-way delay after the
    /// sender, not after the sender's whole FIN retry budget.
    @Test func theSendersAcknowledgementOfTheFinAckEndsTheLinger() {
        var scenario = Self.smallTransfer(.once)
        scenario.forward = TestLinks.delayOnly(50 * Self.ms)
        scenario.reverse = TestLinks.delayOnly(50 * Self.ms)
        let outcome = TransferSimulation.run(scenario)
        #expect(outcome.delivered)
        let lingered = outcome.receiverExitTime.map { $0 - outcome.senderEndTime! }
        #expect(lingered == 50 * Self.ms, "the first ACK of the FIN-ACK ends it")

        // With the three ACKs lost it lingers until the sender could retransmit no more FIN.
        let clean = outcome.forwardStatistics.received
        var lost = scenario
        lost.forward.scriptedDrops = [(clean - 2)...clean]
        let lingering = TransferSimulation.run(lost)
        #expect(lingering.delivered)
        let linger = lingering.receiverExitTime.map { $0 - lingering.senderEndTime! } ?? 0
        #expect(linger > 10_000 * Self.ms && linger < 60_000 * Self.ms, "\(linger) ns")
    }

    /// Only an ACK that echoes one of our FIN-ACKs ends the linger: anyone can guess the
    /// sequence number, not the timestamp of a packet they never saw.
    @Test func aClosingAcknowledgementMustEchoAFinAck() throws {
        let endpoint = ReceiverEndpointTests.makeEndpoint { $0.receiver.lingersUntilSenderGivesUp = true }
        let peer = PeerAddress(ipv4: 0x0a00_0001, port: 5_000)
        let sender = ReceiverEndpointTests.makeSender(size: 0)
        func exchange(now: UInt64, deliveringReplies: Bool = true) {
            ReceiverEndpointTests.exchange(sender, endpoint, from: peer, now: now, losingReplies: !deliveringReplies)
        }
        exchange(now: 0)
        sender.finishWriting(sha256: SHA256.hash([]))
        exchange(now: Self.ms)
        #expect(sender.state == .finished)
        let closing = ReceiverEndpointTests.datagrams(of: sender, now: 2 * Self.ms)
        #expect(closing.count == 3 && closing.allSatisfy { ReceiverEndpointTests.type($0) == .ack })
        let header = try closing[0].withUnsafeBytes { try PacketView.decode($0).header }

        var forged = header
        forged.timestampEcho &+= 1
        var buffer = [UInt8](repeating: 0, count: 64)
        let length = try buffer.withUnsafeMutableBytes {
            try PacketEncoder.encode(forged, payload: UnsafeRawBufferPointer(start: nil, count: 0), into: $0)
        }
        ReceiverEndpointTests.deliver(Array(buffer[0..<length]), to: endpoint, from: peer, now: 3 * Self.ms)
        endpoint.handleTimeout(now: 3 * Self.ms)
        #expect(!endpoint.isEmpty, "a blind ACK does not end the linger")

        ReceiverEndpointTests.deliver(closing[0], to: endpoint, from: peer, now: 4 * Self.ms)
        endpoint.handleTimeout(now: 4 * Self.ms)
        #expect(ReceiverEndpointTests.events(of: endpoint).contains { if case .closed = $0 { true } else { false } })
        #expect(endpoint.isEmpty)
    }

    // MARK: Case 3: a --once receiver whose only handshake fails

    /// No SYN-ACK ever reaches the sender: it gives up, and the --once receiver, whose half-open
    /// connection expires with nothing else open, ends too, its transfer failed.
    @Test func aHandshakeThatNeverCompletesEndsTheOnceReceiver() {
        var scenario = Self.smallTransfer(.once, reverseDrops: [1...Int.max])
        scenario.maxRetries = 2
        let outcome = TransferSimulation.run(scenario)
        #expect(!outcome.hung, "\(outcome.summary(scenario))")
        #expect(outcome.senderState == .failed(.peerUnreachable(attempts: 3)))
        guard case .failed(.aborted(.idleTimeout, let why)) = outcome.receiverState else {
            Issue.record("the handshake should have failed, the receiver is \(String(describing: outcome.receiverState))")
            return
        }
        #expect(why.contains("handshake did not complete"))
        #expect(outcome.receiverExitTime != nil)
        #expect(CampaignVerdict(outcome, scenario: scenario) == .bothFailed)
    }

    // MARK: Case 10: the receiver's patience and the sender's retries

    /// Eight transmissions of one packet lost in a row: with timeouts backed off to 4 s the
    /// ninth comes more than 10 s after the last packet the receiver heard, within the sender's
    /// 10 retries.
    static func longSilence(followingSender: Bool) -> TransferScenario {
        var scenario = TransferScenario(mode: .stopAndWait, size: 3_000, seed: 2)
        scenario.mss = 1_000
        scenario.forward = TestLinks.delayOnly(Self.ms)
        scenario.forward.scriptedDrops = [3...10]
        scenario.reverse = TestLinks.delayOnly(Self.ms)
        scenario.receiverIdleTimeout = 10_000 * Self.ms
        scenario.receiverIdleTimeoutFollowsSender = followingSender
        return scenario
    }

    @Test func theReceiverWaitsAsLongAsTheSenderAnnouncedItRetries() {
        let scenario = Self.longSilence(followingSender: true)
        let outcome = TransferSimulation.run(scenario)
        #expect(outcome.delivered, "\(outcome.summary(scenario))")
        #expect(outcome.senderStatistics.timeouts == 8)
    }

    @Test func aFixedIdleTimeoutStillEndsTheTransferFirst() {
        // What `rudp-recv --idle-timeout 10s` asks for, and what every receiver did before.
        let outcome = TransferSimulation.run(Self.longSilence(followingSender: false))
        #expect(outcome.receiverState == .failed(.idleTimeout(nanoseconds: 10_000 * Self.ms)))
        if case .failed = outcome.senderState {} else { Issue.record("the sender should fail, is \(outcome.senderState)") }
    }

    @Test func theIdleTimeoutFollowsTheAnnouncedBudgetWithinBounds() throws {
        func receiver(_ budget: RetryBudget?, _ adjust: (inout ReceiverConfiguration) -> Void = { _ in }) throws -> Receiver {
            var syn = SynPayload(mode: .selectiveRepeat, mss: 1_200, window: 64, fileSize: 1, name: Array("f".utf8))
            syn.retryBudget = budget
            let header = PacketHeader(type: .syn, connectionID: 1, sequence: SequenceNumber(1), timestamp: 1)
            var buffer = [UInt8](repeating: 0, count: 256)
            let length = try buffer.withUnsafeMutableBytes { raw in
                try syn.encoded().withUnsafeBytes { try PacketEncoder.encode(header, payload: $0, into: raw) }
            }
            var configuration = ReceiverConfiguration(initialSequence: 0)
            adjust(&configuration)
            return try buffer[0..<length].withUnsafeBytes { raw in
                try Receiver(syn: try PacketView.decode(raw), configuration: configuration, now: 0)
            }
        }
        let defaults = SenderConfiguration(connectionID: 1, initialSequence: 1, fileName: [], fileSize: nil).retryBudget
        #expect(try receiver(defaults).idleTimeout == 48_000 * Self.ms, "(10 + 2) × 4 s")
        #expect(try receiver(nil).idleTimeout == 10_000 * Self.ms, "a sender that says nothing: the configured timeout")
        #expect(try receiver(RetryBudget(retries: 1, largestTimeout: 100 * Self.ms)).idleTimeout == 10_000 * Self.ms,
                "never less than the configured timeout")
        #expect(try receiver(RetryBudget(retries: 65_535, largestTimeout: 4_000 * Self.ms)).idleTimeout == 600_000 * Self.ms,
                "at most 10 minutes, whatever a sender claims")
        #expect(try receiver(defaults) { $0.idleTimeoutFollowsSender = false }.idleTimeout == 10_000 * Self.ms)
    }

    // MARK: The retry budget

    @Test func theBudgetBoundsTheSendersSilenceAndItsFinRetransmissions() {
        let budget = RetryBudget(retries: 10, largestTimeout: 4_000 * Self.ms)
        #expect(budget.silence == 48_000 * Self.ms)
        // 50, 100, 200, 400, 800, 1600, 3200 ms, then four times the 4 s cap.
        #expect(budget.patience(from: 50 * Self.ms) == 22_350 * Self.ms)
        #expect(budget.patience(from: 9_000 * Self.ms) == 44_000 * Self.ms, "never above the cap")
        let fixed = SenderConfiguration(retransmission: .fixed(300 * Self.ms), maxRetries: 2, connectionID: 1,
                                        initialSequence: 1, fileName: [], fileSize: nil).retryBudget
        #expect(fixed == RetryBudget(retries: 2, largestTimeout: 300 * Self.ms))
        #expect(fixed.patience(from: 300 * Self.ms) == 900 * Self.ms, "a fixed timeout never backs off")
        #expect(RetryBudget(retries: 65_535, largestTimeout: .max / 2).silence == .max)
    }
}
