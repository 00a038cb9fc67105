import Foundation
import Testing
import CLIKit
@testable import LabKit

/// `rudp-lab share`: the fairness figures, the command line, the senders' progress and the
/// reading, on synthetic runs whose answers are known.
@Suite struct ShareTests {
    // MARK: Figures

    @Test func jainIndexIsOneForEqualSharesAndOneOverNForAMonopoly() throws {
        #expect(FairnessIndex.jain([5, 5, 5, 5]) == 1)
        #expect(FairnessIndex.jain([10, 0, 0, 0]) == 0.25)
        // (3 + 1)² / (2 × (9 + 1)) = 0.8, whatever the unit.
        #expect(abs(try #require(FairnessIndex.jain([3, 1])) - 0.8) < 1e-12)
        #expect(abs(try #require(FairnessIndex.jain([3e6, 1e6])) - 0.8) < 1e-12)
        #expect(FairnessIndex.jain([]) == nil)
        #expect(FairnessIndex.jain([0, 0]) == nil)
    }

    @Test func utilisationIsTheGoodputsSummedOverTheLinkRate() throws {
        #expect(abs(try #require(FairnessIndex.utilisation(goodputs: [9e6, 9e6], linkRate: 20e6)) - 0.9) < 1e-12)
        #expect(FairnessIndex.utilisation(goodputs: [1], linkRate: 0) == nil)
    }

    @Test func theDefaultQueueIsOneBandwidthDelayProductOfFullPackets() {
        // 20 Mbit/s × 20 ms RTT = 50,000 bytes = 33.3 packets of 1500 bytes.
        #expect(SharePlan.bdpPackets(rate: 20_000_000, delay: 10_000_000) == 34)
        let plan = SharePlan(flows: [ShareFlow(.tcp)], rate: 20_000_000, delay: 10_000_000, duration: 30_000_000_000)
        #expect(plan.queueLimit == 34)
        #expect(plan.fullQueueDelay == 20_400_000)
        #expect(plan.fileSize > 20_000_000 / 8 * 30)
    }

    @Test func percentilesAreNearestRank() {
        let values = (1...100).map(Double.init)
        #expect(QueueDelay.percentile(values, 50) == 50)
        #expect(QueueDelay.percentile(values, 95) == 95)
        #expect(QueueDelay.percentile([7], 95) == 7)
        #expect(QueueDelay.percentile([], 50) == nil)
    }

    // MARK: Command line

    @Test func defaultsAreTheIssuesSharingCase() throws {
        let options = try ShareCommandLine.parse(["rudp-lab share"], now: Date(timeIntervalSince1970: 0))
        let plan = options.plan
        #expect(plan.flows == [ShareFlow(.selectiveRepeat, congestionControl: "bbr"), ShareFlow(.tcp, congestionControl: "cubic")])
        #expect(plan.rate == 20_000_000)
        #expect(plan.delay == 10_000_000)
        #expect(plan.queue == nil && plan.queueLimit == 34)
        #expect(plan.duration == 30_000_000_000)
        #expect(plan.stagger == 0)
        #expect(options.outDirectory == "results/share-19700101T000000Z")
    }

    @Test func flowsNameTheProtocolTheControllerAndAWindow() throws {
        let options = try ShareCommandLine.parse([
            "rudp-lab share", "--flows", "sr:none:2048,tcp,sr,gbn:reno", "--window", "512", "--rate", "10mbit",
            "--delay", "25ms", "--queue", "100", "--duration", "20s", "--stagger", "5s", "--out", "x",
        ])
        let plan = options.plan
        #expect(plan.flows.map(\.description) == ["sr:none:2048", "tcp", "sr", "gbn:reno"])
        #expect(plan.flows[0].window == 2048 && plan.flows[1].congestionControl == nil)
        #expect(plan.queueLimit == 100 && plan.stagger == 5_000_000_000 && plan.window == 512)
        #expect(plan.startOffset(of: 3) == 15_000_000_000)
        // sr alone leaves the controller to rudp-send; the experiment's window caps it.
        #expect(plan.flows[2].senderArguments(window: plan.window, mss: 1200)
            == ["--protocol", "sr", "--mss", "1200", "--window", "512"])
        #expect(plan.flows[0].senderArguments(window: plan.window, mss: 1200)
            == ["--protocol", "sr", "--mss", "1200", "--cc", "none", "--window", "2048"])
        #expect(ShareFlow(.tcp, congestionControl: "cubic").senderArguments(window: 512, mss: 1200)
            == ["--protocol", "tcp", "--tcp-cc", "cubic"])
    }

    @Test func badFlowsAndTimingsAreUsageErrors() {
        for arguments in [["--flows", "udp"], ["--flows", "sr:vegas"], ["--flows", "tcp:cubic:64"], ["--flows", ""],
                          ["--flows", "sr:bbr,tcp", "--stagger", "30s"], ["--duration", "10"], ["--rate", "0"],
                          ["--queue", "-1"], ["--bogus"]] {
            #expect(throws: UsageError.self, "\(arguments)") { try ShareCommandLine.parse(["rudp-lab share"] + arguments) }
        }
    }

    // MARK: Progress

    @Test func aSendersIntervalLinesBecomeBytesOverTime() throws {
        let lines = [
            #"{"event":"interval","start":0.0,"end":1.0,"bytes":1000000,"goodput_mbps":8,"bytes_acked":1000000,"retransmissions":2,"srtt_ms":30,"tcp_cc":"cubic"}"#,
            #"{"event":"interval","start":1.0,"end":2.0,"bytes":2000000,"goodput_mbps":16,"bytes_acked":3000000,"retransmissions":5,"srtt_ms":40,"tcp_cc":"cubic"}"#,
            "not json",
        ]
        let flow = FlowProgress.read(stdout: lines, start: 0.5, isTCP: true)
        #expect(flow.congestionControl == "cubic")
        #expect(flow.samples.map(\.time) == [0.5, 1.5, 2.5])
        #expect(flow.bytes(at: 2.0) == 2_000_000)
        #expect(flow.bytes(at: 9) == 3_000_000)
        #expect(flow.goodput(from: 1.5, to: 2.5) == 16)
        // Past the last report nothing is known: the span ends there.
        #expect(flow.goodput(from: 0.5, to: 10) == 3_000_000 * 8 / 2 / 1e6)
        #expect(flow.retransmissions == 5)
        #expect(flow.medianSmoothedRTT == 30)
        #expect(flow.series(binWidth: 1, end: 10).map(\.mbps) == [8, 16])
    }

    @Test func probeLinesPairEachProbeWithItsAnswer() {
        let origin: UInt64 = 5_000_000_000
        let lines = [QueueProbeInterface.sentLine(sequence: 0, sentAt: origin - 500_000_000),
                     QueueProbeInterface.sentLine(sequence: 1, sentAt: origin + 100_000_000),
                     QueueProbeInterface.rttLine(sequence: 0, nanoseconds: 20_000_000)]
        let samples = QueueProbeInterface.samples(lines, origin: origin)
        #expect(samples == [ProbeSample(time: -0.5, rtt: 20), ProbeSample(time: 0.1, rtt: nil)])
    }

    // MARK: Reading

    /// A run of `flows` at constant goodputs (Mbit/s) for 30 s, with probe RTTs of `base` ms
    /// on the idle link and `loaded` ms while the flows ran.
    static func run(_ flows: [(String, Double)], window: Int? = nil, base: Double = 20, loaded: Double = 22,
                    retransmissions: Int = 0) throws -> ShareResults {
        var plan = SharePlan(flows: try flows.map { try ShareFlow.parse($0.0) }, rate: 20_000_000, delay: 10_000_000,
                             duration: 30_000_000_000)
        plan.window = window
        let progress = flows.map { _, mbps in
            FlowProgress(start: 0, samples: [ProgressSample(time: 0, bytesAcknowledged: 0),
                                            ProgressSample(time: 30, bytesAcknowledged: mbps * 1e6 / 8 * 30,
                                                           retransmissions: retransmissions)],
                         congestionControl: "x")
        }
        let probe = (0..<100).map { ProbeSample(time: -1 + Double($0) / 100, rtt: base) }
            + (0..<3000).map { ProbeSample(time: Double($0) / 100, rtt: loaded) }
        return ShareResults(plan: plan, flows: progress, queue: QueueDelay(samples: probe, duration: 30), probe: probe,
                            started: Date(), finished: Date())
    }

    @Test func aFixedWindowBesideTCPStarvesItAndTheReadingSaysWhy() throws {
        let results = try Self.run([("sr:none", 16.5), ("tcp:cubic", 0.4)], window: 2048, loaded: 40, retransmissions: 9000)
        #expect(results.starved == [1])
        let reading = ShareReading.bullets(results).joined(separator: "\n")
        #expect(reading.contains("flow 2 (tcp:cubic) was starved"))
        #expect(reading.contains("fixed window of 2048 packets"))
        #expect(reading.contains("congestion collapse"))
        #expect(reading.contains("dominated by flow 1 (sr:none)"))
        #expect(reading.contains("standing queue"))
        #expect(reading.contains("spent on copies: the RUDP flows retransmitted 9000 packets"))
        #expect(reading.contains("Over the 30 s both flows ran"))
    }

    @Test func equalFlowsReadAsAnEqualShareWithNobodyStarved() throws {
        let results = try Self.run([("sr:bbr", 9.5), ("sr:bbr", 9.5)], loaded: 22)
        #expect(try #require(results.jainIndex) == 1)
        #expect(abs(try #require(results.utilisation) - 0.95) < 1e-9)
        let reading = ShareReading.bullets(results).joined(separator: "\n")
        #expect(reading.contains("about equally"))
        #expect(reading.contains("95% of the 20.0 Mbit/s link"))
        #expect(reading.contains("the link was kept busy"))
        #expect(reading.contains("The queue stayed mostly empty"))
        #expect(!reading.contains("starved") && !reading.contains("collapse"))
    }

    @Test func aStandingQueueIsPutOnTheFlowsThatHoldTheLinkNotOnAStarvedOne() throws {
        let results = try Self.run([("sr:bbr", 17.5), ("tcp:cubic", 1)], loaded: 35)
        let reading = ShareReading.bullets(results).joined(separator: "\n")
        #expect(reading.contains("standing queue, kept by flow 1 (sr:bbr), whose congestion control does not wait for a loss"))
        #expect(!reading.contains("as flow 2 (tcp:cubic) keeps one"))
        #expect(reading.contains("flow 2 (tcp:cubic) was starved"))
        #expect(!reading.contains("congestion collapse"), "no fixed window ran: \(reading)")
    }

    @Test func anUnderusedLinkAndAModerateSplitAreSaidSo() throws {
        let results = try Self.run([("sr:reno", 6), ("tcp:reno", 3)], loaded: 33)
        let reading = ShareReading.bullets(results).joined(separator: "\n")
        #expect(abs(try #require(results.jainIndex) - 0.9) < 1e-9)
        #expect(reading.contains("moderately unequal split, the larger part to flow 1 (sr:reno)"))
        #expect(reading.contains("much of the link went unused"))
        #expect(reading.contains("as flow 1 (sr:reno) and flow 2 (tcp:reno) keep one"))
        #expect(reading.contains("flow 2 (tcp:reno): x"), "the TCP variant is the one the connection reported")
    }
}

extension ShareTests {
    @Test func smallPercentagesKeepADecimalSoThatACountIsNotRoundedAway() {
        #expect(ShareReading.percent(0.0044) == "0.4%")
        #expect(ShareReading.percent(0.44) == "44%")
        #expect(ShareReading.percent(0) == "0%")
    }
}
