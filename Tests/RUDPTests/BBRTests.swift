import Impairment
@testable import RUDP
import RUDPSim
import Testing

/// BBR's parts alone: the delivery-rate estimator, the pacer, the phases.
@Suite struct BBRPartsTests {
    static let ms: UInt64 = 1_000_000

    @Test func aSteadyFlowMeasuresItsOwnRate() {
        // 1,000-byte packets every 100 µs (10 MB/s), each acknowledged 20 ms after it left.
        var estimator = DeliveryRateEstimator()
        var snapshots: [DeliveryRateEstimator.SendSnapshot] = []
        var samples: [DeliveryRateSample] = []
        var inFlight = 0
        for step in 0..<2_000 {
            let now = UInt64(step) * 100_000
            snapshots.append(estimator.onSent(bytesInFlight: inFlight, now: now))
            inFlight += 1_000
            let acked = step - 200  // sent 20 ms ago
            if acked >= 0 {
                estimator.onAcknowledged(snapshots[acked], bytes: 1_000, now: now)
                inFlight -= 1_000
                if let sample = estimator.takeSample(minimumRTT: 20 * Self.ms) { samples.append(sample) }
            }
        }
        #expect(samples.count > 1_000)
        for sample in samples.suffix(500) {
            #expect(abs(sample.bytesPerSecond - 10_000_000) < 200_000, "\(sample)")
            #expect(!sample.isAppLimited)
        }
    }

    @Test func thePacerSpreadsPacketsAtItsRateWithABurstOfAMillisecond() {
        var pacer = Pacer()
        let rate = 12_500_000.0  // 100 Mbit/s
        var now: UInt64 = 0
        var sent = 0
        var burst = 0
        while now < 1_000 * Self.ms {
            if let wait = pacer.delay(for: 1_250, rate: rate, mss: 1_250, now: now) {
                now = wait
                continue
            }
            pacer.spend(1_250)
            sent += 1_250
            if now == 0 { burst += 1 }
        }
        #expect(abs(Double(sent) - rate) < 0.01 * rate, "\(sent) bytes in a second at \(rate) B/s")
        #expect(burst == 10, "one millisecond's worth at once, no more")
    }

    /// A flow that BBR is fed by hand: one acknowledgement of `rate`/1000 bytes per millisecond,
    /// each with a delivery-rate sample of `rate`, the RTT `rtt`, and a round trip of history so
    /// that a round lasts one RTT, as it does on a path.
    final class Flow {
        let bbr = BBRController(mss: 1_200)
        var now: UInt64 = 0
        var delivered = 0
        /// Delivered count at each past millisecond.
        var history: [Int] = [0]

        /// `ackEvery`: milliseconds each acknowledgement covers (a receiver acknowledging in batches).
        func run(rate: Double, rtt: UInt64, for duration: UInt64, ackEvery: Int = 1, inFlight: (BBRController) -> Int) {
            let end = now + duration
            let bytes = Int(rate / 1_000)
            var pending = 0
            while now < end {
                now += BBRPartsTests.ms
                // What had been delivered when the packet acknowledged now was sent, one RTT ago.
                let sentAt = history.count - 1 - Int(rtt / BBRPartsTests.ms)
                let prior = sentAt >= 0 ? history[sentAt] : 0
                delivered += bytes
                history.append(delivered)
                pending += bytes
                guard history.count % ackEvery == 0 else { continue }
                let bytes = pending
                pending = 0
                let sample = DeliveryRateSample(bytesPerSecond: rate, interval: rtt, isAppLimited: false, priorDelivered: prior)
                bbr.onAcknowledged(AcknowledgementSample(bytes: bytes, sentTime: max(now, rtt) - rtt, rtt: rtt, smoothedRTT: rtt,
                                                         bytesInFlight: inFlight(bbr), deliveryRate: sample, now: now))
            }
        }
    }

    @Test func startupEndsWhenTheBandwidthStopsGrowingThenDrainsAndProbes() {
        let flow = Flow()
        let bbr = flow.bbr
        let rtt = 40 * Self.ms
        // The bandwidth measured stays at 10 MB/s: three round trips without 25 % growth fill the pipe.
        flow.run(rate: 10_000_000, rtt: rtt, for: 100 * Self.ms) { $0.window }
        #expect(!bbr.filledPipe && bbr.mode == .startup)
        flow.run(rate: 10_000_000, rtt: rtt, for: 100 * Self.ms) { $0.window }
        #expect(bbr.filledPipe)
        #expect(bbr.mode == .drain, "the queue Startup built drains first")
        #expect(abs(bbr.pacingRate! - 10_000_000 / BBRController.highGain) < 1_000)
        // Once the flight is down to one BDP (400 kB), it probes for bandwidth.
        flow.run(rate: 10_000_000, rtt: rtt, for: 10 * Self.ms) { _ in 390_000 }
        #expect(bbr.mode == .probeBandwidth)
        // Two BDPs, three packets, and one acknowledgement's worth (10 kB) of aggregation.
        #expect(bbr.window <= 2 * 400_000 + 3 * 1_200 + 10_000 && bbr.window >= 400_000, "about two BDPs: \(bbr.window)")
        // Over a cycle of eight RTTs the pacing gain visits 1.25 and 0.75 around 1.
        var gains: Set<Int> = []
        var inFlight = 400_000
        for _ in 0..<400 {
            flow.run(rate: 10_000_000, rtt: rtt, for: Self.ms) { _ in inFlight }
            gains.insert(Int((bbr.pacingRate! / 10_000_000 * 100).rounded()))
            inFlight = bbr.pacingRate! > 10_000_000 ? 520_000 : 380_000
        }
        #expect(gains == [75, 100, 125], "\(gains)")
        #expect(bbr.minimumRTT == rtt)
    }

    @Test(arguments: [false, true])
    func startupEndsOnLossOnlyWhenAQueueShowsInTheRTT(queued: Bool) {
        let flow = Flow()
        let bbr = flow.bbr
        flow.run(rate: 10_000_000, rtt: 40 * Self.ms, for: 45 * Self.ms) { $0.window }
        #expect(bbr.mode == .startup)
        // About 5 % of a round trip's 400 kB is lost, in a round whose every RTT has grown to
        // 60 ms (the queue overflowed), or is still 40 ms (random loss).
        if queued { flow.run(rate: 10_000_000, rtt: 60 * Self.ms, for: 60 * Self.ms) { $0.window } }
        bbr.onLoss(bytes: 20_000, sentTime: flow.now - 40 * Self.ms, now: flow.now)
        flow.run(rate: 10_000_000, rtt: (queued ? 60 : 40) * Self.ms, for: 60 * Self.ms) { $0.window }
        #expect(bbr.filledPipe == queued, "queued: \(queued), mode \(bbr.mode)")
    }

    /// On a long path (100 ms RTT, 200 Mbit/s) Startup doubles from the first round trips. Their
    /// delivery-rate samples are far below the window (a small flight's few ACKs each measure
    /// back to the last ACK before the packet left, idle time included), and pacing at the high
    /// gain times them let those rounds grow 1.75× (10, 20, 35, 63); Startup now paces at least
    /// as fast as a paced slow start, 1.25 windows per smoothed RTT.
    @Test func startupDoublesFromTheFirstRoundTripsOfALongPath() {
        var scenario = TransferScenario(mode: .selectiveRepeat, size: 50_000_000, seed: 1)
        scenario.mss = 1_200
        scenario.window = 16_384
        scenario.congestionControl = .bbr
        var link = ImpairmentConfig()
        link.delay = 50 * Self.ms
        link.rate = 200_000_000
        link.queueLimit = 2_000
        scenario.impairBoth(link)
        scenario.timeLimit = 600 * Self.ms
        var sentInRound = [0, 0, 0, 0, 0, 0]
        _ = TransferSimulation.run(scenario) { time, event in
            guard case .sent(_, _, false) = event, time < 600 * Self.ms else { return }
            sentInRound[Int(time / (100 * Self.ms))] += 1
        }
        #expect(sentInRound[0] == 10 && sentInRound[1] == 20, "the first flight, then the window after its ACKs: \(sentInRound)")
        for round in 2..<sentInRound.count {
            #expect(Double(sentInRound[round]) >= 1.95 * Double(sentInRound[round - 1]), "round \(round): \(sentInRound)")
        }
    }

    @Test func aFewRandomLossesInTheFirstRoundsDoNotEndStartup() {
        // Round two carries twenty packets; one is lost (5 %) and one ACK, of a repaired hole,
        // comes back late (60 ms): no queue, and too few losses to mean one.
        let flow = Flow()
        let bbr = flow.bbr
        flow.run(rate: 10_000_000, rtt: 40 * Self.ms, for: 45 * Self.ms) { $0.window }
        bbr.onLoss(bytes: 1_200, sentTime: 20 * Self.ms, now: flow.now)
        flow.run(rate: 10_000_000, rtt: 40 * Self.ms, for: 35 * Self.ms) { $0.window }
        flow.run(rate: 10_000_000, rtt: 60 * Self.ms, for: 1 * Self.ms) { $0.window }
        flow.run(rate: 10_000_000, rtt: 40 * Self.ms, for: 10 * Self.ms) { $0.window }
        #expect(!bbr.filledPipe && bbr.mode == .startup)
    }

    @Test(arguments: [false, true])
    func startupEndsWhenTheLeastRTTOfARoundGrows(grows: Bool) {
        // HyStart++'s test: 40 ms, then a round whose every sample is 5 ms or more above it (an
        // eighth of 40 ms) — a queue is building — or only 3 ms above (jitter).
        let flow = Flow()
        let bbr = flow.bbr
        flow.run(rate: 10_000_000, rtt: 40 * Self.ms, for: 45 * Self.ms) { $0.window }
        #expect(!bbr.filledPipe)
        // The round under way still saw 40 ms; the next one, from about 87 ms, sees only the new RTT.
        flow.run(rate: 10_000_000, rtt: (grows ? 46 : 43) * Self.ms, for: 55 * Self.ms) { $0.window }
        #expect(bbr.filledPipe == grows, "grows: \(grows), mode \(bbr.mode)")
    }

    @Test(arguments: [false, true])
    func lossBehindAStandingQueueCapsTheFlightAndRandomLossDoesNot(queued: Bool) {
        // In ProbeBW on a 10 MB/s, 40 ms path (BDP 400 kB); then, with 600 kB in flight, 5 % of a
        // round is lost while the RTT is 60 ms (a full queue shared with another flow) or 40 ms.
        let flow = Flow()
        let bbr = flow.bbr
        flow.run(rate: 10_000_000, rtt: 40 * Self.ms, for: 1_000 * Self.ms) { _ in 300_000 }
        #expect(bbr.mode == .probeBandwidth && bbr.inflightLimit == nil)
        let rtt = (queued ? 60 : 40) * Self.ms
        flow.run(rate: 10_000_000, rtt: rtt, for: 100 * Self.ms) { _ in 600_000 }
        let before = bbr.window
        bbr.onLoss(bytes: 30_000, sentTime: flow.now - 40 * Self.ms, now: flow.now)
        flow.run(rate: 10_000_000, rtt: (queued ? 60 : 40) * Self.ms, for: 90 * Self.ms) { _ in 600_000 }
        guard queued else {
            #expect(bbr.inflightLimit == nil && bbr.window == before, "random loss leaves the flight alone")
            return
        }
        let limit = try? #require(bbr.inflightLimit)
        // 0.7 of the 610 kB the round had in flight at most, and perhaps one round's packet since.
        #expect((427_000...428_200).contains(limit ?? 0), "0.7 of the flight: \(String(describing: limit))")
        #expect(bbr.window <= limit ?? 0)
        // Without more loss the cap climbs a packet per round trip, as Reno's window does.
        flow.run(rate: 10_000_000, rtt: 60 * Self.ms, for: 600 * Self.ms) { _ in 420_000 }
        let later = bbr.inflightLimit ?? .max
        #expect(later > (limit ?? 0) && later <= (limit ?? 0) + 12 * 1_200, "\(later) after about ten rounds")
    }

    @Test func acknowledgementsInBatchesMakeRoomForTheBatch() {
        // The same 10 MB/s, 40 ms path; one receiver acknowledges every millisecond, the other
        // every 8 ms. The batching one must keep about 7 ms (70 kB) more in flight, or the
        // bottleneck idles while its ACKs are held back.
        let smooth = Flow()
        let batched = Flow()
        smooth.run(rate: 10_000_000, rtt: 40 * Self.ms, for: 2_000 * Self.ms) { _ in 300_000 }
        batched.run(rate: 10_000_000, rtt: 40 * Self.ms, for: 2_000 * Self.ms, ackEvery: 8) { _ in 300_000 }
        #expect(smooth.bbr.mode == .probeBandwidth && batched.bbr.mode == .probeBandwidth)
        let extra = batched.bbr.window - smooth.bbr.window
        #expect(extra >= 60_000 && extra <= 90_000, "room for the batch: \(extra) bytes")
    }

    @Test func acknowledgementsBatchedBeyondABandwidthDelayProductMakeRoomForOneAtMost() {
        // 10 MB/s and 4 ms: one BDP is 40 kB. ACKs that come every 20 ms (an end host busy with
        // its file, not the path) would otherwise add 200 kB of flight that only queues.
        let batched = Flow()
        batched.run(rate: 10_000_000, rtt: 4 * Self.ms, for: 2_000 * Self.ms, ackEvery: 20) { _ in 38_000 }
        #expect(batched.bbr.mode == .probeBandwidth)
        #expect(batched.bbr.window <= 3 * 40_000 + 3 * 1_200, "two BDPs and at most one of aggregation: \(batched.bbr.window)")
        #expect(batched.bbr.window >= 2 * 40_000 + 30_000, "still room for most of one BDP: \(batched.bbr.window)")
    }

    @Test func aMinimumRTTTenSecondsOldIsProbedWithFourPackets() {
        let flow = Flow()
        let bbr = flow.bbr
        flow.run(rate: 10_000_000, rtt: 40 * Self.ms, for: 1_000 * Self.ms) { _ in 300_000 }
        #expect(bbr.mode == .probeBandwidth)
        // A queue elsewhere raises the RTT for good: the 40 ms minimum stops being confirmed.
        flow.run(rate: 10_000_000, rtt: 50 * Self.ms, for: 9_900 * Self.ms) { _ in 300_000 }
        #expect(bbr.mode == .probeBandwidth)
        #expect(bbr.minimumRTT == 40 * Self.ms)
        flow.run(rate: 10_000_000, rtt: 50 * Self.ms, for: 200 * Self.ms) { _ in 300_000 }
        #expect(bbr.mode == .probeRTT)
        #expect(bbr.window == 4 * 1_200)
        #expect(bbr.minimumRTT == 50 * Self.ms, "the expired minimum gives way to what is measured now")
        flow.run(rate: 10_000_000, rtt: 50 * Self.ms, for: 400 * Self.ms) { _ in 4_000 }
        #expect(bbr.mode == .probeBandwidth, "back after 200 ms and a round trip")
        #expect(bbr.window > 400_000, "with the window it had: \(bbr.window)")
    }

    @Test func lossDoesNotMoveTheModelButPersistentCongestionShrinksTheWindow() {
        let flow = Flow()
        let bbr = flow.bbr
        flow.run(rate: 10_000_000, rtt: 40 * Self.ms, for: 2_000 * Self.ms) { _ in 300_000 }
        let before = (bbr.window, bbr.pacingRate)
        for offset in 0..<50 { bbr.onLoss(bytes: 1_200, sentTime: UInt64(offset), now: 2_001 * Self.ms) }
        bbr.onRetransmissionTimeout(sentTime: 1_990 * Self.ms, persistent: false, now: 2_002 * Self.ms)
        #expect(bbr.window == before.0 && bbr.pacingRate == before.1)
        bbr.onRetransmissionTimeout(sentTime: 1_990 * Self.ms, persistent: true, now: 2_003 * Self.ms)
        #expect(bbr.window == 4 * 1_200)
        bbr.onTimeoutVerdict(spurious: true, now: 2_004 * Self.ms)
        #expect(bbr.window == before.0, "a spurious timeout is undone")
    }
}

/// BBR against loss-based control on simulated long and lossy paths.
@Suite struct BBRSimulationTests {
    /// 100 Mbit/s, 25 ms each way, a queue of one bandwidth-delay product (520 packets), random
    /// loss `loss` each way.
    static func path(_ algorithm: CongestionAlgorithm, loss: Double, size: Int) -> TransferScenario {
        var scenario = TransferScenario(mode: .selectiveRepeat, size: size, seed: 3)
        scenario.window = 4_096
        scenario.congestionControl = algorithm
        scenario.maxRetries = 40
        var forward = TestLinks.delayOnly(25_000_000)
        forward.rate = 100_000_000
        forward.queueLimit = 520
        forward.loss = loss
        var reverse = TestLinks.delayOnly(25_000_000)
        reverse.loss = loss
        scenario.forward = forward
        scenario.reverse = reverse
        return scenario
    }

    static func megabits(_ outcome: TransferOutcome, _ scenario: TransferScenario) -> Double {
        Double(scenario.size) * 8 / (Double(outcome.senderEndTime ?? outcome.endTime) / 1e9) / 1e6
    }

    @Test func bbrFillsALongPathStartupIncluded() {
        let scenario = Self.path(.bbr, loss: 0, size: 20_000_000)
        let outcome = TransferSimulation.run(scenario)
        #expect(outcome.delivered, "\(outcome.summary(scenario))")
        #expect(Self.megabits(outcome, scenario) > 65, "\(Self.megabits(outcome, scenario)) Mbit/s of 100")
    }

    @Test(arguments: [0.01, 0.05])
    func randomLossDoesNotSlowBBRDownAsItSlowsLossBasedControl(loss: Double) {
        let bbrScenario = Self.path(.bbr, loss: loss, size: 20_000_000)
        let bbr = TransferSimulation.run(bbrScenario)
        let cubicScenario = Self.path(.cubic, loss: loss, size: 4_000_000)
        let cubic = TransferSimulation.run(cubicScenario)
        #expect(bbr.delivered && cubic.delivered)
        let bbrRate = Self.megabits(bbr, bbrScenario)
        let cubicRate = Self.megabits(cubic, cubicScenario)
        #expect(bbrRate > 0.55 * 100 * (1 - loss), "bbr at \(loss * 100) % loss: \(bbrRate) Mbit/s")
        #expect(bbrRate > 5 * cubicRate, "bbr \(bbrRate) against cubic \(cubicRate) Mbit/s")
        // Probing at 1.25 with room for batched ACKs may overflow a one-BDP queue now and then;
        // pacing keeps that far below the random loss the flow rides through.
        #expect(bbr.forwardStatistics.droppedQueue * 4 < bbr.forwardStatistics.droppedLoss,
                "queue drops \(bbr.forwardStatistics.droppedQueue), random losses \(bbr.forwardStatistics.droppedLoss)")
    }
}
