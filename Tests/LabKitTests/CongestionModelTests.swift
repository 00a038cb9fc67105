import Testing
import RUDP
@testable import LabKit

/// The congestion-controlled senders' models against values worked out by hand (the
/// arithmetic is in each comment), and against the simulator where they should agree.
@Suite struct CongestionModelTests {
    @Test func renoAIMDAveragesMathisWindow() {
        // AIMD(1, ½) at p = 1%: √(1 · 1.5 / (2 · 0.5 · 0.01)) = √150 = 12.2474 packets,
        // Mathis's √(3/(2p)).
        let window = CongestionModels.aimdAverageWindow(increase: 1, decrease: 0.5, loss: 0.01)
        #expect(abs(window - 12.247449) < 1e-5)
        // With delayed ACKs (b = 2) the window grows half as fast: √75 = 8.6603.
        #expect(abs(CongestionModels.aimdAverageWindow(increase: 1, decrease: 0.5, loss: 0.01, segmentsPerAck: 2)
            - 8.660254) < 1e-5)
    }

    @Test func cubicAtOnePercentAndTwentyMillisecondsIsRenoFriendly() {
        // Cubic region: (C(3+β)/(4(1−β)))^¼ = (0.4 · 3.7 / 1.2)^¼ = 1.23333^¼ = 1.053829;
        // (RTT/p)^¾ = (0.02/0.01)^¾ = 2^¾ = 1.681793; W = 1.772322 packets.
        let cubic = CongestionModels.cubicAverageWindow(roundTrip: 0.02, loss: 0.01)
        #expect(abs(cubic - 1.772322) < 1e-5)
        // Reno-friendly region, AIMD(3·0.3/1.7 = 0.52941, 0.7): √(0.52941 · 1.7 / (2 · 0.3 · 0.01))
        // = √(0.9/0.006) = √150 = 12.2474: Reno's own, larger, so it is what CUBIC averages.
        #expect(abs(CongestionModels.cubicWindow(roundTrip: 0.02, loss: 0.01) - 12.247449) < 1e-5)
        // Throughput with MSS 1200 and a 50 ms timeout: RTT/W = 0.02/12.2474 = 1.632993 ms;
        // timeouts 0.05 · min(1, 3√(3·0.01/8) = 0.183712) · 0.01 · 1.0032 = 0.0921498 ms;
        // 1/1.725143 ms = 579.662 packets/s × 1200 B = 695 595 B/s (5.5648 Mbit/s).
        let bytes = CongestionModels.cubicThroughput(mss: 1200, roundTrip: 0.02, loss: 0.01, timeout: 0.05)
        #expect(abs(bytes - 695_594.5) < 1)
    }

    @Test func cubicOnALongPathWithRareLossIsInItsCubicRegion() {
        // RTT = 100 ms, p = 10⁻⁵: 1.053829 · (0.1/10⁻⁵)^¾ = 1.053829 · 1000 = 1053.83 packets,
        // above the Reno-friendly √(1.5 · 10⁵) = 387.30.
        #expect(abs(CongestionModels.cubicWindow(roundTrip: 0.1, loss: 1e-5) - 1053.829) < 1e-3)
    }

    @Test func bbrKeepsPacingAtTheBottleneckUnderRandomLoss() {
        // 50 Mbit/s = 6.25 MB/s, p = 5%, RTT 20 ms: ProbeRTT share (0.2 + 0.02)/(10 + 0.22) = 0.021526;
        // 6.25e6 · 0.95 · 0.978474 = 5 809 687 B/s.
        let bytes = CongestionModels.bbrThroughput(bottleneck: 6.25e6, loss: 0.05, roundTrip: 0.02, mss: 1200)
        #expect(abs(bytes - 5_809_687) < 1)
        // Beyond 1 − 1/1.25 = 20% the estimate decays: four packets per round trip,
        // 4 · 1200 · 0.7 / 0.02 = 168 000 B/s at 30%.
        #expect(abs(CongestionModels.bbrThroughput(bottleneck: 6.25e6, loss: 0.3, roundTrip: 0.02, mss: 1200)
            - 168_000) < 1e-6)
        // At exactly 20% the probing phase still delivers the whole bottleneck: it holds.
        #expect(CongestionModels.bbrThroughput(bottleneck: 6.25e6, loss: 0.2, roundTrip: 0.02, mss: 1200) > 4e6)
    }

    @Test func slowStartDoublesFromTheInitialWindow() {
        // 100 packets of 1200 B, unlimited link, 10 ms each way (RTT 20 ms, no serialization):
        // rounds of 10, 20, 40 and the last 30 packets: four round trips, 80 ms.
        let parameters = ModelParameters(rate: 0, oneWayDelay: 0.01, loss: 0, window: 16_384, mss: 1200, size: 120_000)
        #expect(abs(LabModels.rampedTransferTime(parameters, steady: .infinity, lossBased: false) - 0.08) < 1e-12)
        // Loss-based at 5%, steady 48 Mbit/s (0.2 ms a packet, a steady window of 100): the first
        // loss is expected after 20 packets, so slow start ends after the rounds of 10 and 20
        // (40 ms); the other 70 packets and 30 · 5% repairs follow at 0.2 ms each (14.3 ms), then
        // the last ACK's 20 ms: 74.3 ms.
        let lossy = ModelParameters(rate: 0, oneWayDelay: 0.01, loss: 0.05, window: 16_384, mss: 1200, size: 120_000)
        #expect(abs(LabModels.rampedTransferTime(lossy, steady: 48e6, lossBased: true) - 0.0743) < 1e-9)
        // A steady window of 20 packets (9.6 Mbit/s) is reached after the first round: 10 packets
        // in 20 ms, then 90 + 0.5 at 1 ms each and 20 ms: 130.5 ms.
        #expect(abs(LabModels.rampedTransferTime(lossy, steady: 9.6e6, lossBased: true) - 0.1305) < 1e-9)
    }

    @Test func eachControlGetsItsOwnModel() {
        let parameters = ModelParameters(rate: 50e6, oneWayDelay: 0.01, loss: 0.02, window: 16_384, mss: 1200, size: 1_000_000)
        #expect(LabModels.predict(.selectiveRepeat, control: .rudp(.none), parameters) == LabModels.predict(.selectiveRepeat, parameters))
        #expect(LabModels.predict(.selectiveRepeat, control: .rudp(.reno), parameters).model.hasPrefix("Reno model"))
        #expect(LabModels.predict(.selectiveRepeat, control: .rudp(.cubic), parameters).model.hasPrefix("CUBIC model"))
        #expect(LabModels.predict(.selectiveRepeat, control: .rudp(.bbr), parameters).model.hasPrefix("BBR model"))
        #expect(LabModels.predict(.tcp, control: .tcp("cubic"), parameters).model.hasPrefix("CUBIC model"))
        #expect(LabModels.predict(.tcp, control: .tcp("bbr"), parameters).model.hasPrefix("BBR model"))
        #expect(LabModels.predict(.tcp, control: .tcp(nil), parameters).model.hasPrefix("Reno model"))
        #expect(LabModels.predict(.tcp, control: .tcp("vegas"), parameters).model.hasPrefix("Reno model"))
        // Stop-and-wait's window of one leaves a controller nothing to size.
        #expect(LabModels.predict(.stopAndWait, control: .rudp(.bbr), parameters) == LabModels.predict(.stopAndWait, parameters))
        // Under random loss BBR is modelled far above the loss-based controllers, which back off.
        let bbr = LabModels.predict(.selectiveRepeat, control: .rudp(.bbr), parameters).steadyStateMbps
        let reno = LabModels.predict(.selectiveRepeat, control: .rudp(.reno), parameters).steadyStateMbps
        #expect(bbr > 5 * reno)
        // A window cap binds: 8 packets of 1200 B per (L/R + RTT) ≈ 20.2 ms is at most 3.8 Mbit/s.
        var capped = parameters
        capped.window = 8
        #expect(LabModels.predict(.selectiveRepeat, control: .rudp(.bbr), capped).steadyStateMbps < 3.81)
    }

    @Test func theSimulatorAgreesWithTheControllersModelsWithoutLoss() {
        // 1 MB over 50 Mbit/s and 10 ms each way: Startup or slow start, then the full link.
        var plan = SweepPlan(protocols: [.selectiveRepeat], losses: [0], delays: [10_000_000], rates: [50_000_000],
                             windows: [64], size: 1_000_000, repeats: 1, network: .sim)
        plan.controls = [.selectiveRepeat: [.rudp(.reno), .rudp(.cubic), .rudp(.bbr)]]
        let results = SweepRunner.run(plan, on: SimulatedNetwork())
        let summaries = ConditionSummary.summarize(results)
        #expect(summaries.count == 3)
        for summary in summaries {
            let ratio = summary.modelRatio ?? 0
            #expect(abs(ratio - 1) < 0.1, "\(summary.condition.label): measured ÷ model = \(ratio)")
        }
    }
}
