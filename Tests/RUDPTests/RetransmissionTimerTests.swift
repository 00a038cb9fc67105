import RUDP
import Testing

private let ms: UInt64 = 1_000_000

@Test func rfc6298ArithmeticOnScriptedSamples() {
    var timer = RetransmissionTimer(policy: .adaptive, initial: 1_000 * ms, minimum: 1 * ms, maximum: 60_000 * ms)
    #expect(timer.timeout == 1_000 * ms)
    timer.addSample(100 * ms)
    // First sample: SRTT = R, RTTVAR = R/2, RTO = SRTT + 4·RTTVAR.
    #expect(timer.smoothedRTT == 100 * ms)
    #expect(timer.rttVariation == 50 * ms)
    #expect(timer.timeout == 300 * ms)
    timer.addSample(200 * ms)
    // RTTVAR = 3/4·50 + 1/4·|100−200| = 62.5; SRTT = 7/8·100 + 1/8·200 = 112.5; RTO = 112.5 + 250.
    #expect(timer.rttVariation == 62_500_000)
    #expect(timer.smoothedRTT == 112_500_000)
    #expect(timer.timeout == 362_500_000)
    timer.addSample(112_500_000)
    // RTTVAR = 3/4·62.5 = 46.875; SRTT unchanged; RTO = 112.5 + 187.5.
    #expect(timer.rttVariation == 46_875_000)
    #expect(timer.smoothedRTT == 112_500_000)
    #expect(timer.timeout == 300 * ms)
}

@Test func timeoutIsClampedToItsBounds() {
    var timer = RetransmissionTimer(policy: .adaptive, initial: 1_000 * ms, minimum: 200 * ms, maximum: 2_000 * ms)
    timer.addSample(1 * ms)
    #expect(timer.timeout == 200 * ms)
    timer.addSample(5_000 * ms)
    #expect(timer.timeout == 2_000 * ms)
}

@Test func backoffDoublesUpToTheBoundAndASampleClearsIt() {
    var timer = RetransmissionTimer(policy: .adaptive, initial: 100 * ms, minimum: 10 * ms, maximum: 1_000 * ms)
    var seen: [UInt64] = []
    for _ in 0..<6 {
        seen.append(timer.timeout)
        timer.backOff()
    }
    #expect(seen == [100, 200, 400, 800, 1_000, 1_000].map { $0 * ms })
    timer.addSample(40 * ms)
    #expect(timer.backoffCount == 0)
    #expect(timer.timeout == 120 * ms)
}

@Test func fixedTimeoutNeverMoves() {
    var timer = RetransmissionTimer(policy: .fixed(250 * ms))
    timer.addSample(1 * ms)
    timer.backOff()
    timer.backOff()
    #expect(timer.timeout == 250 * ms)
}

@Test func aControlledSenderKeepsItsTimeoutWellAboveAJitterFreeRTT() {
    // A path without jitter: 30 samples of exactly 100 ms shrink RTTVAR to under 1 ms.
    var textbook = RetransmissionTimer()
    var controlled = RetransmissionTimer(margin: RetransmissionTimer.controlledMargin)
    for _ in 0..<30 {
        textbook.addSample(100 * ms)
        controlled.addSample(100 * ms)
    }
    #expect(textbook.timeout < 101 * ms, "RFC 6298 alone: SRTT plus almost nothing, \(textbook.timeout)")
    // A queue that fills within a round trip doubles the RTT: only the margin keeps every
    // packet in flight from timing out spuriously.
    #expect(controlled.timeout == 200 * ms, "twice SRTT: \(controlled.timeout)")
}
