import Testing
@testable import LabKit

/// The formulas against values worked out by hand (the arithmetic is in each comment).
@Suite struct TextbookModelTests {
    @Test func stopAndWaitUtilizationMatchesKuroseAndRossExample() {
        // L = 8000 bit, R = 1 Gbit/s: L/R = 8 µs; RTT = 30 ms → U = 0.008 / 30.008 = 0.000266596.
        let utilization = TextbookModels.stopAndWaitUtilization(transmissionTime: 8e-6, roundTrip: 0.030)
        #expect(abs(utilization - 0.000266596) < 1e-9)
    }

    @Test func windowUtilizationScalesWithTheWindowAndCapsAtOne() {
        // Three packets: 3 × 0.008 / 30.008 = 0.000799787.
        #expect(abs(TextbookModels.windowUtilization(window: 3, transmissionTime: 8e-6, roundTrip: 0.030) - 0.000799787) < 1e-9)
        // 10 000 packets would need 0.08 s of sending per 30.008 ms cycle: the link is full.
        #expect(TextbookModels.windowUtilization(window: 10_000, transmissionTime: 8e-6, roundTrip: 0.030) == 1)
    }

    @Test func stopAndWaitUnderLossAddsATimeoutPerFailedAttempt() {
        // (1 ms + 19 ms) + 100 ms × 0.1/0.9 = 20 ms + 11.111 ms = 31.111 ms.
        let perPacket = TextbookModels.stopAndWaitTimePerPacket(
            transmissionTime: 0.001, roundTrip: 0.019, roundLoss: 0.1, timeout: 0.1)
        #expect(abs(perPacket - 0.031111111) < 1e-8)
    }

    @Test func recoveryWithBackoffSumsDoublingTimeouts() {
        // Σ f^k T 2^(k−1) = T f/(1 − 2f): f = 0.1, T = 1 s → 0.1/0.8 = 0.125 s.
        let withBackoff = TextbookModels.expectedRecoveryTime(
            failureProbability: 0.1, firstFailure: 1, timeout: 1, backoff: true, maximumTimeout: 1_000)
        #expect(abs(withBackoff - 0.125) < 1e-8)  // the series is summed until its terms vanish
        // Without backoff: T f/(1 − f) = 0.1/0.9.
        let fixed = TextbookModels.expectedRecoveryTime(
            failureProbability: 0.1, firstFailure: 1, timeout: 1, backoff: false, maximumTimeout: 1_000)
        #expect(abs(fixed - 0.111111111) < 1e-8)
        // A different first failure: 0.1 × 3 + Σ_{k≥2} 0.1^k × 1 = 0.3 + 0.01/0.9 = 0.311111.
        let gbnLike = TextbookModels.expectedRecoveryTime(
            failureProbability: 0.1, firstFailure: 3, timeout: 1, backoff: false, maximumTimeout: 1_000)
        #expect(abs(gbnLike - 0.311111111) < 1e-8)
        #expect(TextbookModels.expectedRecoveryTime(
            failureProbability: 0, firstFailure: 1, timeout: 1, backoff: true, maximumTimeout: 4) == 0)
    }

    @Test func goBackNEfficiency() {
        // s = 0.9, m = 10: 0.9 / (0.9 + 10 × 0.1) = 0.9 / 1.9 = 0.473684.
        #expect(abs(TextbookModels.goBackNEfficiency(success: 0.9, lossCost: 10) - 0.473684211) < 1e-8)
        // Stallings: 1 + 2a = m turns η into (1 − P)/(1 + 2aP); a = 4.5, P = 0.1: 0.9/1.9.
        #expect(TextbookModels.goBackNEfficiency(success: 1, lossCost: 50) == 1)
    }

    @Test func selectiveRepeatTextbookForm() {
        #expect(abs(TextbookModels.selectiveRepeatUtilization(loss: 0.1, windowUtilization: 1) - 0.9) < 1e-12)
        #expect(abs(TextbookModels.selectiveRepeatUtilization(loss: 0.2, windowUtilization: 0.5) - 0.4) < 1e-12)
    }

    @Test func mathisFormula() {
        // 1460 B / 0.1 s × √1.5 / √0.01 = 14 600 × 1.2247449 × 10 = 178 812.75 B/s.
        let throughput = TextbookModels.mathisThroughput(mss: 1460, roundTrip: 0.1, loss: 0.01)
        #expect(abs(throughput - 178_812.75) < 0.5)
        #expect(TextbookModels.mathisThroughput(mss: 1460, roundTrip: 0.1, loss: 0) == .infinity)
    }

    @Test func padhyeFormula() {
        // RTT √(2bp/3) = 0.1 × √(0.04/3) = 0.0115470; T0 min(1, 3√(3bp/8)) p (1 + 32p²)
        // = 1 × 0.2598076 × 0.01 × 1.0032 = 0.0026064; 1/(0.0141534) = 70.654 segments/s × 1460 B.
        let throughput = TextbookModels.padhyeThroughput(mss: 1460, roundTrip: 0.1, loss: 0.01, timeout: 1, segmentsPerAck: 2)
        #expect(abs(throughput - 103_155) < 20)
        // The receiver window caps it: 10 segments per 0.1 s = 100 segments/s > 70.65, so no cap here…
        let capped = TextbookModels.padhyeThroughput(mss: 1460, roundTrip: 0.1, loss: 0.01, timeout: 1, maximumWindow: 5)
        // … but 5 segments per 0.1 s = 50 segments/s is below it.
        #expect(abs(capped - 50 * 1460) < 1e-6)
    }

    @Test func linkParametersCountEveryHeader() {
        let parameters = ModelParameters(rate: 50e6, oneWayDelay: 0.010, loss: 0.05, window: 64, mss: 1200)
        // (1200 + 36 + 28) × 8 / 50e6 = 202.24 µs; ACK 64 × 8 / 50e6 = 10.24 µs.
        #expect(abs(parameters.transmissionTime - 202.24e-6) < 1e-12)
        #expect(abs(parameters.ackTransmissionTime - 10.24e-6) < 1e-12)
        #expect(abs(parameters.roundTrip - 0.02001024) < 1e-12)
        #expect(abs(parameters.roundLoss - 0.0975) < 1e-12)
        #expect(parameters.packetsPerAck == 8)
        #expect(ModelParameters(rate: 0, oneWayDelay: 0.01, loss: 0, window: 1, mss: 100).transmissionTime == 0)
    }

    @Test func steadyStateGoodputOfEachRUDPMode() {
        // Stop-and-wait, no loss: 1200 × 8 bit per (202.24 µs + 20.01024 ms) = 9600 / 0.02021248 s = 0.474954 Mbit/s.
        let lossless = ModelParameters(rate: 50e6, oneWayDelay: 0.010, loss: 0, window: 1, mss: 1200)
        #expect(abs(LabModels.predict(.stopAndWait, lossless).steadyStateMbps - 0.474954) < 1e-5)
        // Fixed 100 ms timeout at 5% each way: q = 0.0975; 20.21248 ms + 100 ms × 0.0975/0.9025 = 31.0159 ms per packet.
        var lossy = lossless
        lossy.loss = 0.05
        lossy.fixedTimeout = 0.1
        #expect(abs(LabModels.predict(.stopAndWait, lossy).steadyStateMbps - 9600 / 0.031015806 / 1e6) < 1e-5)
        // A window of 256 fills the pipe: 1200/1264 of 50 Mbit/s = 47.4684 Mbit/s for both windowed modes.
        let wide = ModelParameters(rate: 50e6, oneWayDelay: 0.010, loss: 0, window: 256, mss: 1200)
        #expect(abs(LabModels.predict(.goBackN, wide).steadyStateMbps - 47.468354) < 1e-4)
        #expect(abs(LabModels.predict(.selectiveRepeat, wide).steadyStateMbps - 47.468354) < 1e-4)
        // Window 8 (ACK every 2): 76 800 bit per (20.21248 ms + 1 × 202.24 µs = 20.41472 ms) = 3.761992 Mbit/s.
        let narrow = ModelParameters(rate: 50e6, oneWayDelay: 0.010, loss: 0, window: 8, mss: 1200)
        #expect(abs(LabModels.predict(.goBackN, narrow).steadyStateMbps - 3.761992) < 1e-5)
    }

    @Test func goBackNLosesMoreThanSelectiveRepeatAndBothDecreaseWithLoss() {
        var previous: (gbn: Double, sr: Double) = (.infinity, .infinity)
        for loss in [0.0, 0.01, 0.02, 0.05, 0.1, 0.2] {
            let parameters = ModelParameters(rate: 50e6, oneWayDelay: 0.010, loss: loss, window: 64, mss: 1200,
                                             size: 1_000_000)
            let gbn = LabModels.predict(.goBackN, parameters).goodputMbps
            let sr = LabModels.predict(.selectiveRepeat, parameters).goodputMbps
            #expect(gbn <= sr + 1e-9)
            #expect(gbn < previous.gbn && sr < previous.sr)
            previous = (gbn, sr)
        }
    }

    @Test func tcpModelsAreCappedByTheLink() {
        let clean = ModelParameters(rate: 50e6, oneWayDelay: 0.010, loss: 0, window: 1, mss: 1448,
                                    packetOverhead: ModelParameters.tcpOverhead)
        // No loss: Mathis is unbounded, so the link's payload rate is the answer: 50 × 1448/1500.
        #expect(abs(LabModels.tcp(clean, model: .mathis).steadyStateMbps - 48.266667) < 1e-4)
        var lossy = clean
        lossy.loss = 0.01
        let mathis = LabModels.tcp(lossy, model: .mathis).steadyStateMbps
        let padhye = LabModels.tcp(lossy, model: .padhye).steadyStateMbps
        #expect(padhye < mathis)  // PFTK adds timeouts and delayed ACKs (b = 2)
        // Mathis at RTT = 240 µs + 20.0083 ms: 1448 × 8 / 0.0202483 × 1.2247449 / 0.1 = 7.00675 Mbit/s.
        #expect(abs(mathis - 7.0067) < 0.01)
    }
}
