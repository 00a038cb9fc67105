import Impairment
import RUDP
import RUDPSim
import Testing

/// Every protocol, every size around the packet boundaries, clean and lossy links, many seeds,
/// with transfers that start just below 2^32 so every one crosses the sequence-number wrap.
@Suite struct DeliveryAcrossSeeds {
    static let mss = 1200
    static let smallSizes = [0, 1, mss - 1, mss, mss + 1]
    static let largeSize = 1 << 20
    static let seedsPerSmallCase = 8
    static let seedsPerLargeCase = 4

    @Test(arguments: TransferMode.allCases, [0.0, 0.1, 0.3])
    func deliversExactlyTheBytesSent(mode: TransferMode, loss: Double) {
        var seed: UInt64 = UInt64(mode.rawValue) << 32 | UInt64(loss * 100) << 16
        var runs = 0
        for size in Self.smallSizes + [Self.largeSize] {
            let seeds = size == Self.largeSize ? Self.seedsPerLargeCase : Self.seedsPerSmallCase
            for _ in 0..<seeds {
                seed += 1
                var scenario = TransferScenario(mode: mode, size: size, seed: seed)
                scenario.mss = Self.mss
                scenario.impairBoth(loss == 0 ? TestLinks.delayOnly() : TestLinks.hostile(loss: loss))
                scenario.initialSequence = UInt32.max - UInt32(seed % 700)
                scenario.maxRetries = 40  // at 30% loss each way, 10 straight losses of one packet do happen
                scenario.receiverIdleTimeout = 60_000_000_000  // and so do 10 s without one arriving
                let outcome = TransferSimulation.run(scenario)
                #expect(outcome.delivered, "\(outcome.summary(scenario))")
                #expect(outcome.bytesDelivered == size)
                runs += 1
            }
        }
        #expect(runs == Self.smallSizes.count * Self.seedsPerSmallCase + Self.seedsPerLargeCase)
    }
}

@Test func goBackNResendsTheWindowWhileSelectiveRepeatResendsTheHole() {
    // Eight packets in flight; the network drops the third DATA packet (datagram 4, after the SYN).
    func run(_ mode: TransferMode) -> TransferOutcome {
        var scenario = TransferScenario(mode: mode, size: 8 * 1000, seed: 42)
        scenario.mss = 1000
        scenario.window = 8
        var forward = TestLinks.delayOnly()
        forward.scriptedDrops = [4...4]
        scenario.forward = forward
        scenario.reverse = TestLinks.delayOnly()
        let outcome = TransferSimulation.run(scenario)
        #expect(outcome.delivered, "\(outcome.summary(scenario))")
        return outcome
    }
    let goBackN = run(.goBackN)
    // Packets 2…7 were outstanding when the timer fired: all six go again.
    #expect(goBackN.senderStatistics.timeouts == 1)
    #expect(goBackN.senderStatistics.retransmissions == 6)
    #expect(goBackN.receiverStatistics?.discarded == 5)
    let selectiveRepeat = run(.selectiveRepeat)
    // Only the hole is resent, and without waiting for a timeout: three later packets were SACKed.
    #expect(selectiveRepeat.senderStatistics.retransmissions == 1)
    #expect(selectiveRepeat.senderStatistics.fastRetransmits == 1)
    #expect(selectiveRepeat.senderStatistics.timeouts == 0)
    #expect(selectiveRepeat.receiverStatistics?.discarded == 0)
}

@Test(arguments: [0.0, 0.2])
func stopAndWaitNeverHasTwoPacketsInFlight(loss: Double) {
    for seed in UInt64(1)...10 {
        var scenario = TransferScenario(mode: .stopAndWait, size: 50_000, seed: seed)
        scenario.window = 64  // ignored: stop-and-wait is window 1
        scenario.impairBoth(TestLinks.hostile(loss: loss))
        scenario.maxRetries = 30
        let outcome = TransferSimulation.run(scenario)
        #expect(outcome.delivered, "\(outcome.summary(scenario))")
        #expect(outcome.senderStatistics.maxInFlight == 1)
    }
}

@Test(arguments: TransferMode.allCases)
func aVanishingReceiverMakesTheSenderFailInBoundedTime(mode: TransferMode) {
    let maxRetries = 4
    var scenario = TransferScenario(mode: mode, size: 1 << 20, seed: 9)
    scenario.impairBoth(TestLinks.delayOnly())
    scenario.maxRetries = maxRetries
    let vanish: UInt64 = 50_000_000
    scenario.receiverVanishesAt = vanish
    let outcome = TransferSimulation.run(scenario)
    guard case .failed(.retriesExhausted(let what, _)) = outcome.senderState else {
        Issue.record("expected retries exhausted, got \(outcome.senderState)")
        return
    }
    // The packet is named by its index in the file, not its random wire sequence number.
    let words = what.split(separator: " ")
    let index = words.count > 2 && words[0] == "data" && words[1] == "packet" ? UInt64(words[2]) : nil
    #expect(index.map { $0 < UInt64((1 << 20) / 1_000) } == true, "\(what)")
    #expect(!outcome.hung)
    // Each of the maxRetries + 1 timeouts waits at most the backed-off RTO, itself at most the bound.
    var bound: UInt64 = 0
    var rto = RetransmissionTimer.defaultInitial
    for _ in 0...maxRetries {
        bound += min(rto, RetransmissionTimer.defaultMaximum)
        rto *= 2
    }
    let elapsed = outcome.senderEndTime! - vanish
    #expect(elapsed <= bound, "failed after \(elapsed) ns, bound \(bound) ns")
}

@Test func anAbsentReceiverMeansUnreachableAfterTheBackedOffSynRetries() {
    var scenario = TransferScenario(mode: .selectiveRepeat, size: 10, seed: 3)
    scenario.maxRetries = 3
    scenario.receiverVanishesAt = 0
    let outcome = TransferSimulation.run(scenario)
    #expect(outcome.senderState == .failed(.peerUnreachable(attempts: 4)))
    // SYN at 0 s, then after 1, 2, 4 and 4 s (the bound) of backed-off waiting: gives up at 11 s.
    #expect(RetransmissionTimer.defaultMaximum == 4_000_000_000)
    #expect(outcome.senderEndTime == 11_000_000_000)
    #expect(outcome.receiverState == nil)
}

@Test func aVanishingSenderMakesTheReceiverFailAfterItsIdleTimeout() {
    // Every sender → receiver datagram after the 20th is lost: the receiver hears nothing more.
    var scenario = TransferScenario(mode: .selectiveRepeat, size: 1 << 20, seed: 5)
    var forward = TestLinks.delayOnly()
    forward.scriptedDrops = [21...Int.max]
    scenario.forward = forward
    scenario.reverse = TestLinks.delayOnly()
    scenario.maxRetries = 3
    scenario.receiverIdleTimeout = 2_000_000_000
    scenario.receiverIdleTimeoutFollowsSender = false  // as `rudp-recv --idle-timeout 2s` runs
    let outcome = TransferSimulation.run(scenario)
    #expect(outcome.receiverState == .failed(.idleTimeout(nanoseconds: 2_000_000_000)))
    if case .failed = outcome.senderState {} else { Issue.record("sender should fail, is \(outcome.senderState)") }
    #expect(!outcome.hung)
}

@Test func fixedTimeoutIsUsedAsGiven() {
    var scenario = TransferScenario(mode: .stopAndWait, size: 3000, seed: 11)
    scenario.mss = 1000
    scenario.retransmission = .fixed(300_000_000)
    var forward = TestLinks.delayOnly(1_000_000)
    forward.scriptedDrops = [2...2]  // the first DATA packet
    scenario.forward = forward
    scenario.reverse = TestLinks.delayOnly(1_000_000)
    let outcome = TransferSimulation.run(scenario)
    #expect(outcome.delivered, "\(outcome.summary(scenario))")
    #expect(outcome.senderStatistics.timeouts == 1)
    // Handshake 2 ms, lost packet waits 300 ms, then three round trips and the FIN exchange.
    #expect(outcome.senderEndTime! >= 300_000_000 && outcome.senderEndTime! < 320_000_000)
}

// Windows up to 2.5 × the path's bandwidth-delay product (about 100 packets). Far larger ones
// fill the bottleneck queue faster than the RTO adapts, and without congestion control their
// spurious timeouts are expected.
@Test(arguments: [64, 256])
func selectiveRepeatRarelyResendsWhatArrived(window: Int) {
    // Loss on the data path only: every retransmission beyond the packets actually lost is waste.
    // With 10% loss a 256-packet window holds ~25 holes, more than one ACK's SACK blocks list.
    var scenario = TransferScenario(mode: .selectiveRepeat, size: 4 << 20, seed: 21)
    scenario.window = window
    // 10 ms each way at 50 Mbit/s: a full window is queued at the bottleneck, as in a lab sweep.
    var forward = TestLinks.delayOnly(10_000_000)
    forward.loss = 0.1
    forward.rate = 50_000_000
    forward.queueLimit = 2_000
    scenario.forward = forward
    scenario.reverse = TestLinks.delayOnly(10_000_000)
    scenario.maxRetries = 30
    let outcome = TransferSimulation.run(scenario)
    #expect(outcome.delivered, "\(outcome.summary(scenario))")
    let lost = outcome.forwardStatistics.droppedLoss
    let resent = outcome.senderStatistics.retransmissions
    print("window \(window): \(lost) datagrams lost, \(resent) retransmissions, \(outcome.receiverStatistics?.duplicates ?? 0) duplicates")
    #expect(resent <= lost + lost / 4 + 5, "\(resent) retransmissions for \(lost) losses")
}

@Test func reorderingAndLossDoNotSetOffAStormOfRetransmissions() {
    // 10% loss and 5% reordering each way: each loss costs about one retransmission, and each
    // reordered packet at most one spurious one.
    var scenario = TransferScenario(mode: .selectiveRepeat, size: 2 << 20, seed: 33)
    var link = TestLinks.delayOnly(10_000_000)
    link.loss = 0.1
    link.reorder = 0.05
    scenario.impairBoth(link)
    scenario.maxRetries = 30
    let outcome = TransferSimulation.run(scenario)
    #expect(outcome.delivered, "\(outcome.summary(scenario))")
    let lost = outcome.forwardStatistics.droppedLoss
    let reordered = outcome.forwardStatistics.heldBackForReorder
    let resent = outcome.senderStatistics.retransmissions
    #expect(resent <= 2 * (lost + reordered), "\(resent) retransmissions for \(lost) losses and \(reordered) reorderings")
    #expect(outcome.senderStatistics.timeouts <= 10, "lost retransmissions are found without waiting for timeouts")
}
