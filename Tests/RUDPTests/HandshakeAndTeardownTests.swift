import Impairment
import RUDP
import RUDPSim
import Testing

/// Losing any single control packet — SYN, SYN-ACK, FIN or the last FIN-ACK — costs time, never the transfer.
@Suite struct HandshakeAndTeardownTests {
    static func scenario(_ mode: TransferMode, forwardDrops: [ClosedRange<Int>] = [], reverseDrops: [ClosedRange<Int>] = []) -> TransferScenario {
        var scenario = TransferScenario(mode: mode, size: 5_000, seed: 77)
        scenario.mss = 1_000
        var forward = TestLinks.delayOnly(2_000_000)
        forward.scriptedDrops = forwardDrops
        var reverse = TestLinks.delayOnly(2_000_000)
        reverse.scriptedDrops = reverseDrops
        scenario.forward = forward
        scenario.reverse = reverse
        return scenario
    }

    @Test(arguments: TransferMode.allCases)
    func losingEachControlPacketStillDelivers(mode: TransferMode) {
        let clean = TransferSimulation.run(Self.scenario(mode))
        #expect(clean.delivered)
        // SYN, 5 DATA, FIN, then the ACKs of the FIN-ACK
        let finCount = clean.forwardStatistics.received - SenderConfiguration(connectionID: 0, initialSequence: 0, fileName: [],
                                                                              fileSize: nil).closeAcknowledgements
        let reverseCount = clean.reverseStatistics.received   // SYN-ACK, ACKs, FIN-ACK
        let cases: [(String, TransferScenario)] = [
            ("SYN", Self.scenario(mode, forwardDrops: [1...1])),
            ("SYN-ACK", Self.scenario(mode, reverseDrops: [1...1])),
            ("FIN", Self.scenario(mode, forwardDrops: [finCount...finCount])),
            ("last FIN-ACK", Self.scenario(mode, reverseDrops: [reverseCount...reverseCount])),
            ("FIN and FIN-ACK twice", Self.scenario(mode, forwardDrops: [finCount...(finCount + 1)],
                                                    reverseDrops: [reverseCount...(reverseCount + 1)])),
        ]
        for (lost, scenario) in cases {
            let outcome = TransferSimulation.run(scenario)
            #expect(outcome.delivered, "losing the \(lost): \(outcome.summary(scenario))")
            #expect(outcome.senderStatistics.timeouts >= 1, "losing the \(lost) should cost a timeout")
        }
        // The sender's last packets, its ACKs of the FIN-ACK, only let the receiver stop lingering sooner.
        let closing = Self.scenario(mode, forwardDrops: [(finCount + 1)...(finCount + 3)])
        let outcome = TransferSimulation.run(closing)
        #expect(outcome.delivered && outcome.senderStatistics.timeouts == 0, "\(outcome.summary(closing))")
    }
}

/// The sender driven by hand, packet by packet, as a script of inputs and expectations.
@Suite struct SenderScriptTests {
    let connectionID: UInt32 = 0xC0FFEE
    let initialSequence: UInt32 = UInt32.max - 1
    let ms: UInt64 = 1_000_000

    func makeSender(mode: TransferMode = .selectiveRepeat, window: Int = 4) -> Sender {
        Sender(configuration: SenderConfiguration(mode: mode, mss: 100, window: window, connectionID: connectionID,
                                                  initialSequence: initialSequence, fileName: Array("f".utf8), fileSize: 1_000),
               now: 0)
    }

    /// Polls every datagram the sender has now, decoded.
    func transmitted(_ sender: Sender, now: UInt64) -> [(PacketHeader, [UInt8])] {
        var out: [(PacketHeader, [UInt8])] = []
        var buffer = [UInt8](repeating: 0, count: 2_048)
        while true {
            let produced: (PacketHeader, [UInt8])? = buffer.withUnsafeMutableBytes { raw in
                guard let length = sender.pollTransmit(into: raw, now: now) else { return nil }
                let view = try! PacketView.decode(UnsafeRawBufferPointer(rebasing: raw[0..<length]))
                return (view.header, Array(view.payload))
            }
            guard let produced else { return out }
            out.append(produced)
        }
    }

    func deliver(_ sender: Sender, _ header: PacketHeader, payload: [UInt8] = [], sacks: [SackBlock] = [], now: UInt64) {
        let bytes = try! PacketEncoder.encode(header, sacks: sacks, payload: payload)
        bytes.withUnsafeBytes { #expect(sender.handle(datagram: $0, now: now) == nil) }
    }

    func connect(_ sender: Sender, at now: UInt64) {
        let syn = transmitted(sender, now: 0)
        #expect(syn.count == 1 && syn[0].0.type == .syn)
        deliver(sender, PacketHeader(type: .synAck, connectionID: connectionID, acknowledgement: SequenceNumber(initialSequence) + 1,
                                     window: 4, timestamp: 5, timestampEcho: syn[0].0.timestamp),
                payload: SynAckPayload(mss: 100, window: 4).encoded(), now: now)
        #expect(sender.state == .transferring)
    }

    func ack(_ next: UInt32, echo: UInt32 = 0) -> PacketHeader {
        PacketHeader(type: .ack, connectionID: connectionID, acknowledgement: SequenceNumber(initialSequence) + 1 + next,
                     window: 4, timestamp: 9, timestampEcho: echo)
    }

    @Test func dataCrossesTheSequenceWrapInOrder() {
        let sender = makeSender()
        connect(sender, at: 10 * ms)
        let bytes = [UInt8](repeating: 7, count: 400)
        #expect(bytes.withUnsafeBytes { sender.write($0) } == 400)
        let packets = transmitted(sender, now: 10 * ms)
        #expect(packets.map(\.0.type) == [.data, .data, .data, .data])
        // ISN = 2^32 − 2: data starts at 2^32 − 1 and wraps to 0, 1, 2.
        #expect(packets.map(\.0.sequence.rawValue) == [UInt32.max, 0, 1, 2])
    }

    @Test func thePacketThatFillsTheCongestionWindowAsksForItsACKAtOnce() {
        // Reno starts with ten 100-byte packets; the receiver grants 64 and would otherwise wait
        // for sixteen packets or its delay timer before acknowledging: a stall every round trip.
        var configuration = SenderConfiguration(mode: .selectiveRepeat, mss: 100, window: 64, connectionID: connectionID,
                                                initialSequence: initialSequence, fileName: Array("f".utf8), fileSize: 5_000)
        configuration.congestionControl = .reno
        let sender = Sender(configuration: configuration, now: 0)
        let syn = transmitted(sender, now: 0)
        deliver(sender, PacketHeader(type: .synAck, connectionID: connectionID, acknowledgement: SequenceNumber(initialSequence) + 1,
                                     window: 64, timestamp: 5, timestampEcho: syn[0].0.timestamp),
                payload: SynAckPayload(mss: 100, window: 64).encoded(), now: 10 * ms)
        #expect([UInt8](repeating: 3, count: 5_000).withUnsafeBytes { sender.write($0) } == 5_000)
        let flight = transmitted(sender, now: 10 * ms)
        #expect(flight.count == 10, "the initial window")
        let urgent = flight.map { $0.0.flags & PacketFlags.acknowledgeNow != 0 }
        #expect(urgent == Array(repeating: false, count: 9) + [true], "\(urgent)")
    }

    @Test func karnsRuleIgnoresASampleFromARetransmittedPacketWithoutTimestamp() {
        let sender = makeSender(mode: .goBackN, window: 1)
        connect(sender, at: 10 * ms)  // one sample: the SYN-ACK echoed the SYN's timestamp
        #expect(sender.statistics.rtt.count == 1)
        #expect([UInt8](repeating: 1, count: 200).withUnsafeBytes { sender.write($0) } == 100, "window 1: one packet buffered")
        #expect(transmitted(sender, now: 10 * ms).count == 1)
        // The first packet times out and goes again; an ACK without echo then proves nothing.
        let deadline = sender.nextDeadline!
        sender.handleTimeout(now: deadline)
        #expect(transmitted(sender, now: deadline).count == 1)
        deliver(sender, ack(1), now: deadline + 5 * ms)
        #expect(sender.statistics.rtt.count == 1, "no sample from an ambiguous retransmission")
        // The second packet goes once; its un-echoed ACK is unambiguous: a sample of exactly 7 ms.
        let sentAt = deadline + 5 * ms
        #expect([UInt8](repeating: 1, count: 100).withUnsafeBytes { sender.write($0) } == 100)
        #expect(transmitted(sender, now: sentAt).count == 1)
        deliver(sender, ack(2), now: sentAt + 7 * ms)
        #expect(sender.statistics.rtt.count == 2)
        #expect(sender.statistics.rtt.maximum >= 7 * ms)
    }

    @Test func echoedTimestampGivesASampleEvenForARetransmission() {
        let sender = makeSender(mode: .goBackN, window: 1)
        connect(sender, at: 10 * ms)
        _ = [UInt8](repeating: 1, count: 100).withUnsafeBytes { sender.write($0) }
        _ = transmitted(sender, now: 10 * ms)
        let deadline = sender.nextDeadline!
        sender.handleTimeout(now: deadline)
        let resent = transmitted(sender, now: deadline)
        deliver(sender, ack(1, echo: resent[0].0.timestamp), now: deadline + 3 * ms)
        #expect(sender.statistics.rtt.count == 2)
        #expect(sender.statistics.rtt.minimum == 3 * ms)
    }

    @Test func selectiveRepeatResendsOnlyTheHoleAfterThreeLaterAcks() {
        let sender = makeSender(window: 4)
        connect(sender, at: 10 * ms)
        _ = [UInt8](repeating: 3, count: 400).withUnsafeBytes { sender.write($0) }
        let sent = transmitted(sender, now: 10 * ms)
        #expect(sent.count == 4)
        let base = SequenceNumber(initialSequence) + 1
        // Packet 0 is lost; 1, 2 and 3 arrive and are SACKed one by one.
        for last in UInt32(2)...4 {
            deliver(sender, ack(0), sacks: [SackBlock(start: base + 1, end: base + last)], now: 12 * ms)
        }
        let resent = transmitted(sender, now: 12 * ms)
        #expect(resent.map(\.0.sequence) == [base])
        #expect(sender.statistics.fastRetransmits == 1)
        #expect(sender.statistics.timeouts == 0)
    }

    @Test func aResetFromTheReceiverFailsTheSenderWithItsMessage() {
        let sender = makeSender()
        _ = transmitted(sender, now: 0)
        deliver(sender, PacketHeader(type: .reset, connectionID: connectionID),
                payload: ResetPayload(code: .fileExists, message: "'f' already exists").encoded(), now: 1 * ms)
        #expect(sender.state == .failed(.peerReset(.fileExists, "receiver: 'f' already exists")))
        #expect(transmitted(sender, now: 2 * ms).isEmpty, "an RST is never answered")
    }

    @Test func packetsOfAnotherConnectionAreIgnored() {
        let sender = makeSender()
        _ = transmitted(sender, now: 0)
        deliver(sender, PacketHeader(type: .reset, connectionID: connectionID ^ 1),
                payload: ResetPayload(code: .cancelled, message: "x").encoded(), now: 1 * ms)
        #expect(sender.state == .connecting)
    }
}
