#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Impairment
import RUDP
import RUDPSim
import Testing

/// The controllers alone, fed acknowledgements and losses by hand.
@Suite struct CongestionControllerTests {
    static let mss = 1_000
    static let ms: UInt64 = 1_000_000

    /// Acknowledges one whole window, `mss` bytes at a time, each packet sent at `sentTime`.
    static func acknowledgeWindow(_ controller: CongestionController, sentTime: UInt64, now: UInt64, rtt: UInt64 = 20 * ms) {
        let packets = controller.window / mss
        for _ in 0..<packets {
            controller.onAcknowledged(bytes: mss, sentTime: sentTime, rtt: rtt, smoothedRTT: rtt, now: now)
        }
    }

    @Test func renoDoublesPerRoundTripInSlowStartThenAddsOnePacket() {
        let reno = NewRenoController(mss: Self.mss)
        #expect(reno.window == 10 * Self.mss)
        Self.acknowledgeWindow(reno, sentTime: 0, now: 20 * Self.ms)
        #expect(reno.window == 20 * Self.mss)
        reno.onLoss(bytes: Self.mss, sentTime: 30 * Self.ms, now: 40 * Self.ms)
        #expect(reno.window == 10 * Self.mss)
        #expect(reno.slowStartThreshold == 10 * Self.mss)
        // Congestion avoidance: one packet more per window acknowledged.
        Self.acknowledgeWindow(reno, sentTime: 50 * Self.ms, now: 70 * Self.ms)
        #expect(reno.window == 11 * Self.mss)
    }

    @Test func renoReducesOncePerRoundTripOfLosses() {
        let reno = NewRenoController(mss: Self.mss)
        reno.onLoss(bytes: Self.mss, sentTime: 10 * Self.ms, now: 30 * Self.ms)
        let afterFirst = reno.window
        // More packets of the same flight (sent before the reduction) are lost: the same event.
        reno.onLoss(bytes: Self.mss, sentTime: 11 * Self.ms, now: 31 * Self.ms)
        reno.onLoss(bytes: Self.mss, sentTime: 29 * Self.ms, now: 32 * Self.ms)
        #expect(reno.window == afterFirst)
        // Acknowledgements of that flight do not grow the window during recovery.
        reno.onAcknowledged(bytes: Self.mss, sentTime: 20 * Self.ms, rtt: nil, smoothedRTT: nil, now: 33 * Self.ms)
        #expect(reno.window == afterFirst)
        // A packet sent after the reduction and lost is a new event.
        reno.onLoss(bytes: Self.mss, sentTime: 35 * Self.ms, now: 60 * Self.ms)
        #expect(reno.window == max(afterFirst / 2, 2 * Self.mss))
    }

    @Test func aTimeoutIsALossAndPersistentCongestionLeavesTwoPackets() {
        for controller: CongestionController in [NewRenoController(mss: Self.mss), CubicController(mss: Self.mss)] {
            Self.acknowledgeWindow(controller, sentTime: 0, now: 20 * Self.ms)
            let before = controller.window
            controller.onRetransmissionTimeout(sentTime: 30 * Self.ms, persistent: false, now: 100 * Self.ms)
            let reduced = controller.window
            #expect(reduced < before && reduced >= before / 2, "one multiplicative decrease")
            controller.onRetransmissionTimeout(sentTime: 30 * Self.ms, persistent: true, now: 200 * Self.ms)
            #expect(controller.window == 2 * Self.mss)
            #expect(controller.slowStartThreshold == reduced, "the same flight's losses reduce the threshold once")
        }
    }

    @Test func aSpuriousTimeoutIsUndone() {
        for controller: CongestionController in [NewRenoController(mss: Self.mss), CubicController(mss: Self.mss)] {
            Self.acknowledgeWindow(controller, sentTime: 0, now: 20 * Self.ms)
            let before = (controller.window, controller.slowStartThreshold)
            controller.onRetransmissionTimeout(sentTime: 30 * Self.ms, persistent: false, now: 100 * Self.ms)
            controller.onRetransmissionTimeout(sentTime: 30 * Self.ms, persistent: true, now: 200 * Self.ms)
            controller.onTimeoutVerdict(spurious: true, now: 210 * Self.ms)
            #expect(controller.window == before.0 && controller.slowStartThreshold == before.1)
            // A genuine one stays.
            controller.onRetransmissionTimeout(sentTime: 300 * Self.ms, persistent: false, now: 400 * Self.ms)
            controller.onTimeoutVerdict(spurious: false, now: 410 * Self.ms)
            #expect(controller.window < before.0)
        }
    }

    @Test func cubicCutsToSeventyPercentAndClimbsBackAlongTheCubic() {
        let cubic = CubicController(mss: Self.mss)
        // Grow to 100 packets, then lose one.
        var now: UInt64 = 0
        while cubic.window < 100 * Self.mss {
            now += 20 * Self.ms
            Self.acknowledgeWindow(cubic, sentTime: now - 20 * Self.ms, now: now)
        }
        let windowMax = Double(cubic.window)
        cubic.onLoss(bytes: Self.mss, sentTime: now, now: now + 1)
        #expect(abs(Double(cubic.window) - 0.7 * windowMax) <= Double(Self.mss))
        // K = cbrt(W_max (1 − β) / C) seconds, in packets: W_max is back after about K.
        let k = cbrt(windowMax / Double(Self.mss) * 0.3 / 0.4)
        // On a 200 ms path CUBIC's own curve, not its Reno-friendly floor, sets the pace.
        let start = now + 2
        var growth: [Double] = []
        var time = start
        while Double(time - start) / 1e9 < k * 1.5 {
            time += 200 * Self.ms
            let before = Double(cubic.window)
            Self.acknowledgeWindow(cubic, sentTime: time - 100 * Self.ms, now: time, rtt: 200 * Self.ms)
            growth.append(Double(cubic.window) - before)
            if abs(Double(time - start) / 1e9 - k) <= 0.1 {
                #expect(abs(Double(cubic.window) - windowMax) <= 0.08 * windowMax, "near W_max at K")
            }
        }
        // Concave before K (growth slows), convex after (it speeds up again).
        let quarter = growth.count / 4
        #expect(growth[1] > growth[growth.count / 2 - 1])
        #expect(growth.last! > growth[growth.count / 2 + quarter / 2 - 1])
    }

    /// Slow start, one window per round trip, each sent when the last round's ACKs came back:
    /// `rtts` gives each round's RTT, and the window after each round comes back.
    static func slowStart(_ controller: CongestionController, rtts: [UInt64], startingAt start: UInt64 = 0) -> [Int] {
        var windows: [Int] = []
        var sent = start
        for rtt in rtts {
            acknowledgeWindow(controller, sentTime: sent, now: sent + rtt, rtt: rtt)
            sent += rtt
            windows.append(controller.window)
        }
        return windows
    }

    @Test(arguments: [CongestionAlgorithm.reno, .cubic])
    func slowStartEndsWhenAQueueBuildsBeforeAnyLoss(algorithm: CongestionAlgorithm) {
        // HyStart++: four rounds at 100 ms double the window; from the fifth the least RTT stands
        // 15 ms higher (above an eighth of 100 ms): a queue. Growth slows to a quarter, and five
        // rounds later slow start is over, with no loss at all.
        let controller = algorithm.makeController(mss: Self.mss)
        let windows = Self.slowStart(controller, rtts: [100, 100, 100, 100, 115, 115, 115, 115, 115, 115].map { $0 * Self.ms })
        #expect(Array(windows[0..<4]) == [20, 40, 80, 160].map { $0 * Self.mss })
        #expect(controller.phase == .congestionAvoidance && controller.slowStartThreshold != nil, "\(windows)")
        #expect(Double(windows[5]) < 1.3 * Double(windows[4]), "a quarter of the growth: \(windows)")
    }

    @Test(arguments: [CongestionAlgorithm.reno, .cubic])
    func oneSlowRoundIsJitterAndSlowStartResumes(algorithm: CongestionAlgorithm) {
        let controller = algorithm.makeController(mss: Self.mss)
        let windows = Self.slowStart(controller, rtts: [100, 100, 100, 100, 115, 100, 100].map { $0 * Self.ms })
        #expect(Double(windows[4]) < 1.3 * Double(windows[3]), "the slow round grew a quarter as fast: \(windows)")
        #expect(controller.phase == .slowStart && controller.slowStartThreshold == nil)
        #expect(windows[6] == 2 * windows[5], "doubling again: \(windows)")
    }

    @Test(arguments: [CongestionAlgorithm.reno, .cubic])
    func aDipWithinTheRoundThatShowedTheQueueIsNoJitter(algorithm: CongestionAlgorithm) {
        // Bursts: the round that shows the queue (115 ms) has one sample at 108 ms among them,
        // and the rounds after it stay at 110 ms, above that: the queue stands.
        let controller = algorithm.makeController(mss: Self.mss)
        _ = Self.slowStart(controller, rtts: [100, 100, 100, 100].map { $0 * Self.ms })
        var sent: UInt64 = 400 * Self.ms
        let packets = controller.window / Self.mss
        for packet in 0..<packets {
            let rtt = (packet == 20 ? 108 : 115) * Self.ms
            controller.onAcknowledged(bytes: Self.mss, sentTime: sent, rtt: rtt, smoothedRTT: rtt, now: sent + 115 * Self.ms)
        }
        sent += 115 * Self.ms
        let afterRise = controller.window
        let windows = Self.slowStart(controller, rtts: [110, 110, 110, 110, 110].map { $0 * Self.ms }, startingAt: sent)
        #expect(Double(windows[0]) < 1.3 * Double(afterRise), "still a quarter of the growth: \(afterRise), \(windows)")
        #expect(controller.phase == .congestionAvoidance && controller.slowStartThreshold != nil, "\(windows)")
    }

    @Test func theFixedWindowNeverHoldsTheSenderBack() {
        let fixed = FixedWindow()
        fixed.onLoss(bytes: 1, sentTime: 0, now: 1)
        fixed.onRetransmissionTimeout(sentTime: 0, persistent: true, now: 2)
        #expect(fixed.window == .max)
        #expect(fixed.slowStartThreshold == nil)
    }
}

/// Senders with each controller across a bottleneck, on the virtual clock.
@Suite struct CongestionControlSimulationTests {
    /// 10 Mbit/s, 20 ms one way, a 40-packet queue (about half the bandwidth-delay product).
    static func bottleneck(_ algorithm: CongestionAlgorithm, window: Int = 1_024, seed: UInt64 = 5) -> TransferScenario {
        var scenario = TransferScenario(mode: .selectiveRepeat, size: 3_000_000, seed: seed)
        scenario.maxRetries = 50  // the fixed window's flood loses packets many times over
        scenario.window = window
        scenario.congestionControl = algorithm
        var forward = TestLinks.delayOnly(20_000_000)
        forward.rate = 10_000_000
        forward.queueLimit = 40
        scenario.forward = forward
        scenario.reverse = TestLinks.delayOnly(20_000_000)
        return scenario
    }

    static func goodput(_ outcome: TransferOutcome, size: Int) -> Double {
        Double(size) * 8 / (Double(outcome.senderEndTime ?? outcome.endTime) / 1e9)
    }

    @Test(arguments: [CongestionAlgorithm.reno, .cubic])
    func aControlledSenderFillsTheBottleneckWithoutFloodingItsQueue(algorithm: CongestionAlgorithm) {
        let flooding = TransferSimulation.run(Self.bottleneck(.none))
        let scenario = Self.bottleneck(algorithm)
        let controlled = TransferSimulation.run(scenario)
        #expect(flooding.delivered && controlled.delivered, "\(controlled.summary(scenario))")
        // A 1,024-packet window into a 40-packet queue: the fixed window loses a large share.
        #expect(flooding.forwardStatistics.droppedQueue > 300)
        #expect(controlled.forwardStatistics.droppedQueue * 5 < flooding.forwardStatistics.droppedQueue,
                "\(algorithm): \(controlled.forwardStatistics.droppedQueue) queue drops against \(flooding.forwardStatistics.droppedQueue)")
        #expect(controlled.senderStatistics.retransmissions * 5 < flooding.senderStatistics.retransmissions)
        let goodput = Self.goodput(controlled, size: scenario.size)
        #expect(goodput > 0.75 * 10_000_000, "\(algorithm) reached \(goodput / 1e6) Mbit/s of 10")
        #expect(controlled.senderStatistics.maxCongestionWindow > 40 * 1_200, "the window grew past the queue")
    }

    @Test func withoutControlTheTextbookWindowIsKept() {
        let outcome = TransferSimulation.run(Self.bottleneck(.none, window: 8))
        #expect(outcome.delivered)
        #expect(outcome.senderStatistics.maxInFlight == 8)
        #expect(outcome.senderStatistics.maxCongestionWindow == 0)
    }

    @Test(arguments: CongestionAlgorithm.allCases)
    func aReceiverThatFallsSilentIsGivenUpOnAfterTheRetries(algorithm: CongestionAlgorithm) {
        // Nothing gets through after the 1,500th datagram, with hundreds of packets in flight.
        // However small the window the timeouts leave, the oldest packet is resent first, so
        // three retries take four backed-off timeouts, not one cycle through the whole flight each.
        var scenario = Self.bottleneck(algorithm)
        scenario.maxRetries = 3
        scenario.forward.scriptedDrops = [1_500...Int.max]
        scenario.receiverIdleTimeout = 120_000_000_000  // the receiver must not be the one to give up
        let outcome = TransferSimulation.run(scenario)
        guard case .failed(.retriesExhausted) = outcome.senderState else {
            Issue.record("\(algorithm): \(outcome.summary(scenario))")
            return
        }
        // Four expiries of a timer that doubles up to 4 s, after the flight already sent drains.
        let gaveUpAt = Double(outcome.senderEndTime ?? outcome.endTime) / 1e9
        #expect(gaveUpAt < 25, "\(algorithm) gave up \(gaveUpAt) s into the transfer")
    }

    @Test(arguments: CongestionAlgorithm.allCases)
    func everyControllerDeliversExactlyTheBytesUnderHeavyLoss(algorithm: CongestionAlgorithm) {
        for seed: UInt64 in 1...12 {
            var scenario = TransferScenario(mode: seed % 3 == 0 ? .goBackN : .selectiveRepeat, size: 60_000, seed: seed)
            scenario.congestionControl = algorithm
            scenario.window = 128
            scenario.impairBoth(TestLinks.hostile(loss: 0.15))
            scenario.maxRetries = 40
            let outcome = TransferSimulation.run(scenario)
            #expect(outcome.delivered, "\(outcome.summary(scenario))")
        }
    }
}

extension CongestionController {
    /// An acknowledgement of `bytes` with no delivery-rate sample, for the loss-based controllers.
    func onAcknowledged(bytes: Int, sentTime: UInt64, rtt: UInt64?, smoothedRTT: UInt64?, now: UInt64) {
        onAcknowledged(AcknowledgementSample(bytes: bytes, sentTime: sentTime, rtt: rtt, smoothedRTT: smoothedRTT,
                                             bytesInFlight: 0, deliveryRate: nil, now: now))
    }
}
