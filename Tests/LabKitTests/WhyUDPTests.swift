import CLIKit
import Foundation
import Testing
@testable import LabKit

/// `why-udp` on sim: head-of-line blocking measured, losses counted, reports that parse.
@Suite struct WhyUDPTests {
    /// The issue's defaults: 100-byte messages at 50/s for 20 s, 2% loss and 20 ms each way.
    static let defaults = WhyUDPSimulation.run(WhyUDPPlan())

    @Test func defaultsAreTheIssues() {
        let plan = WhyUDPPlan()
        #expect(plan.messageCount == 1_000)
        #expect(plan.interval == 20_000_000)
        #expect(plan.loss == 0.02 && plan.delay == 20_000_000 && plan.messageSize == 100)
    }

    @Test func orderedDeliveryHoldsMessagesBackBehindALoss() throws {
        let results = Self.defaults
        let ordered = try #require(results.stream(.rudpOrdered))
        let unordered = try #require(results.stream(.rudpUnordered))
        #expect(ordered.lost == 0 && unordered.lost == 0, "RUDP is reliable in both modes")
        #expect(ordered.failure == nil && unordered.failure == nil)
        // Same seed, same packets lost and resent: the only difference is when the receiver
        // hands a message over, so no message may arrive sooner in order than unordered...
        for (inOrder, asArrived) in zip(ordered.latencyMilliseconds, unordered.latencyMilliseconds) {
            #expect(try #require(inOrder) >= (try #require(asArrived)) - 1e-9)
        }
        // ...and the messages queued behind each loss make many more of them late.
        let threshold = results.plan.lateThresholdMilliseconds
        #expect(ordered.lateCount(threshold: threshold) >= 2 * unordered.lateCount(threshold: threshold))
        #expect(unordered.lateCount(threshold: threshold) > 0, "2% loss must make some message wait for a resend")
        #expect(try #require(ordered.percentile(0.95)) > (try #require(unordered.percentile(0.95))))
        #expect(try #require(ordered.meanLatency) > (try #require(unordered.meanLatency)))
        #expect(try #require(ordered.percentile(0.99)) >= (try #require(unordered.percentile(0.99))))
    }

    /// When fewer than 1% of messages need a resend, the 99th percentile lands among the
    /// messages held back behind them, and ordered's p99 is strictly above unordered's. (At 2%
    /// the p99 of both is a resent message itself; the README's reading explains that case.)
    @Test func orderedP99IsAboveUnorderedWhenLossesAreRarerThanOnePercent() throws {
        var plan = WhyUDPPlan()
        plan.loss = 0.005
        let ordered = WhyUDPSimulation.stream(.rudpOrdered, plan: plan)
        let unordered = WhyUDPSimulation.stream(.rudpUnordered, plan: plan)
        let orderedP99 = try #require(ordered.percentile(0.99))
        let unorderedP99 = try #require(unordered.percentile(0.99))
        #expect(orderedP99 > unorderedP99, "ordered p99 \(orderedP99) ms, unordered \(unorderedP99) ms")
        #expect(unorderedP99 == 20, "unordered: the 99th percentile is an undisturbed message, the one-way delay")
    }

    @Test func udpLosesMessagesAndNeverWaits() throws {
        let udp = try #require(Self.defaults.stream(.udp))
        #expect(udp.lost > 0 && udp.lost < 60, "about 2% of 1000: \(udp.lost)")
        #expect(udp.retransmissions == nil)
        #expect(udp.maximumLatency == 20, "a datagram that arrives takes exactly the one-way delay")
    }

    @Test func tcpIsNotMeasuredOnSimAndNeverInvented() throws {
        let tcp = try #require(Self.defaults.stream(.tcp))
        #expect(tcp.notMeasured?.contains("not measured on sim") == true)
        #expect(tcp.messages == 0)
        #expect(Self.defaults.exchange(.tcp)?.notMeasured != nil)
    }

    @Test func firstResponseTakesOneRoundTripOverUDPAndTwoOverRUDP() throws {
        let udp = try #require(Self.defaults.exchange(.udp))
        let rudp = try #require(Self.defaults.exchange(.rudp))
        #expect(udp.percentile(0.5) == 40)
        #expect(rudp.percentile(0.5) == 80, "both handshakes overlap: 2 RTT")
        #expect(rudp.unanswered == 0, "RUDP retries lost handshakes and data")
        #expect(udp.milliseconds.count == 50 && rudp.milliseconds.count == 50)
    }

    @Test func zeroRTTAnswersWithinOneRoundTripLikeUDPButReliably() throws {
        let udp = try #require(Self.defaults.exchange(.udp))
        for exchange in [WhyUDPExchange.rudpZeroRTT, .rudpZeroRTTToken] {
            let zeroRTT = try #require(Self.defaults.exchange(exchange))
            let median = try #require(zeroRTT.percentile(0.5))
            #expect(median <= 1.1 * (try #require(udp.percentile(0.5))), "\(exchange.title): \(median) ms")
            #expect(zeroRTT.unanswered == 0, "\(exchange.title): the SYN and the SYN-ACK are resent when lost")
            #expect(zeroRTT.milliseconds.count == 50)
        }
    }

    @Test func aFullSizeRequestMakesASynLargeEnoughForAFullSizeAnswer() throws {
        var plan = WhyUDPPlan()
        plan.loss = 0
        plan.messageSize = 1_200
        plan.requests = 5
        #expect(WhyUDPSimulation.firstResponse(.rudpZeroRTT, plan: plan).percentile(0.5) == 40,
                "a 1,200-byte request makes a SYN large enough for a 1,200-byte answer")
        #expect(WhyUDPSimulation.firstResponse(.rudpZeroRTTToken, plan: plan).percentile(0.5) == 40)
    }

    @Test func aResponseOverThreeTimesTheSynWaitsARoundTripUnlessATokenProvesTheAddress() throws {
        var plan = WhyUDPPlan()
        plan.loss = 0
        plan.responseSize = 1_200
        plan.requests = 5
        #expect(WhyUDPSimulation.firstResponse(.udp, plan: plan).percentile(0.5) == 40)
        #expect(WhyUDPSimulation.firstResponse(.rudpZeroRTT, plan: plan).percentile(0.5) == 80,
                "a 100-byte request's SYN allows no 1,200-byte answer before the FIN proves the address")
        #expect(WhyUDPSimulation.firstResponse(.rudpZeroRTTToken, plan: plan).percentile(0.5) == 40)
        #expect(WhyUDPSimulation.firstResponse(.rudp, plan: plan).percentile(0.5) == 80)
    }

    @Test func tcpFastOpenIsNotMeasuredOnSim() {
        #expect(Self.defaults.exchange(.tcpFastOpen)?.notMeasured != nil)
        #expect(Self.defaults.exchange(.tcpFastOpenCookie)?.notMeasured != nil)
    }

    @Test("a first response's slow tail at 5% loss is read as the initial retransmission timeout, with its count")
    func theFirstResponseTailIsExplainedByTheInitialTimeout() throws {
        var plan = WhyUDPPlan()
        plan.loss = 0.05
        plan.requests = 100
        plan.duration = 2_000_000_000
        let results = WhyUDPSimulation.run(plan)
        let rudp = try #require(results.exchange(.rudp))
        let median = try #require(rudp.percentile(0.5))
        let slow = rudp.answered.filter { $0 >= median + 800 }.count
        #expect(slow > 0, "at 5% loss each way some of 100 handshakes lose a packet")
        let reading = WhyUDPReading.bullets(results).joined(separator: "\n")
        #expect(reading.contains("\(slow) of \(rudp.answered.count) RUDP trials"), "\(reading)")
        #expect(reading.contains("is the initial retransmission timeout"))
        #expect(!WhyUDPReading.bullets(Self.defaults).joined().contains("initial retransmission timeout")
                    || Self.defaults.exchange(.rudp)!.answered.contains { $0 >= 880 },
                "no tail, no claim")
    }

    /// The link row's stall comes from the sender's trace, where an acknowledgement that reports
    /// holes is a "sack": a sender in loss recovery hears those all the time, and is not stalled.
    @Test func aStallOnTheLinkIsTheLongestSilenceOfEveryKindOfAcknowledgement() throws {
        let path = NSTemporaryDirectory() + "why-udp-stall-\(getpid()).jsonl"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let lines = [
            #"{"t":0.000000,"event":"start","role":"sender"}"#,
            #"{"t":0.040000,"event":"ack","cumulative":1,"sack_blocks":0,"window_edge":64}"#,
            #"{"t":0.050000,"event":"ack","cumulative":2,"sack_blocks":0,"window_edge":64}"#,
            #"{"t":0.050000,"event":"rto","rto_ms":90.5,"srtt_ms":45.2}"#,
            #"{"t":0.060000,"event":"sack","cumulative":2,"sack_blocks":1,"window_edge":64}"#,
            #"{"t":0.070000,"event":"rto","rto_ms":95.0,"srtt_ms":46.0}"#,
            #"{"t":0.100000,"event":"sack","cumulative":2,"sack_blocks":1,"window_edge":64}"#,
            #"{"t":0.300000,"event":"ack","cumulative":9,"sack_blocks":0,"window_edge":64}"#,
        ]
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        let stall = try #require(WhyUDPLinkRunner.longestAcknowledgementGap(inTrace: path))
        #expect(abs(stall.milliseconds - 200) < 0.001, "from the last SACK at 100 ms to the ACK at 300 ms")
        #expect(stall.timeoutMilliseconds == 95.0)
    }

    /// The migration row on sim: the issue's 20 MB over 20 ms and 2 % each way while the sender's
    /// NAT rebinds every 2 s. RUDP moves with it and stalls less than a retransmission timeout
    /// each time; TCP is not modelled on sim, and says so.
    @Test func aFileCrossesAPathThatRebindsEveryTwoSecondsOverRUDP() throws {
        let rudp = try #require(Self.defaults.migration.first { $0.transport == "RUDP" })
        #expect(rudp.intact, "\(rudp.failure ?? "")")
        let seconds = try #require(rudp.seconds)
        #expect(rudp.migrations ?? 0 >= Int(seconds / 2) - 1 && seconds > 2, "moved at (nearly) every rebind: \(rudp)")
        // The issue asks for one retransmission timeout at most: the new address hears the
        // acknowledgements while it proves itself, so none waits for the proof.
        let timeout = try #require(rudp.timeoutAtLongestStallMilliseconds)
        #expect(rudp.longestStallMilliseconds! <= timeout, "\(rudp)")
        let tcp = try #require(Self.defaults.migration.first { $0.transport == "TCP" })
        #expect(tcp.notMeasured == WhyUDPSimulation.tcpNotMeasured)
        // The reading tells the run with its own figures, and says nothing of the unmeasured TCP.
        let reading = try #require(WhyUDPReading.migrationBullet(Self.defaults))
        #expect(reading.contains("RUDP delivered the file intact in \(ReportNumbers.plain(seconds, decimals: 1)) s"), "\(reading)")
        #expect(reading.contains("to \(rudp.migrations!) new address"), "\(reading)")
        #expect(!reading.contains("TCP failed") && !reading.contains("TCP delivered"), "\(reading)")
    }

    @Test("redundancy 1 keeps every message within one-way delay + one interval + 5 ms at p99, and says what it cost")
    func redundancyBuysLatencyWithBandwidth() throws {
        let redundant = try #require(Self.defaults.stream(.rudpRedundant))
        let unordered = try #require(Self.defaults.stream(.rudpUnordered))
        #expect(redundant.lost == 0 && redundant.delivered.count == redundant.messages)
        let p99 = try #require(redundant.percentile(0.99))
        #expect(p99 <= 20 + 20 + 5, "p99 \(p99) ms at 20 ms one-way and 50 messages/s")
        #expect(p99 < (try #require(unordered.percentile(0.99))), "a copy beats a retransmission")
        let bytes = try #require(redundant.redundantBytes)
        #expect(bytes > 0 && bytes <= redundant.messages * 100, "at most one 100-byte copy per message: \(bytes)")
        #expect(unordered.redundantBytes == nil)
        let reading = WhyUDPReading.bullets(Self.defaults).joined(separator: "\n")
        #expect(reading.contains("\(bytes) bytes of copies"), "\(reading)")
    }

    @Test func percentilesAreByNearestRank() {
        let stream = MessageStreamResult(transport: .udp, sentMilliseconds: [0, 1, 2, 3, 4],
                                         latencyMilliseconds: [5, 1, nil, 3, 2])
        #expect(stream.delivered == [1, 2, 3, 5])
        #expect(stream.lost == 1)
        #expect(stream.percentile(0.5) == 2)
        #expect(stream.percentile(0.75) == 3)
        #expect(stream.percentile(0.99) == 5)
        #expect(stream.percentile(0) == 1)
        #expect(stream.lateCount(threshold: 2.5) == 2)
        #expect(stream.meanLatency == 2.75)
    }

    @Test func theReportHoldsEveryFileAndTheyParse() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("why-udp-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let description = SweepDescription(title: "Why UDP (test)", command: "rudp-lab why-udp --out x",
                                           environment: RunEnvironment(machine: "m", kernel: "k", commit: "c",
                                                                       date: "2026-01-01T00:00:00Z", build: "debug"))
        let written = try WhyUDPReport.write(Self.defaults, description: description, to: directory)
        #expect(written.count == 5)

        let csv = try String(contentsOfFile: directory + "/results.csv", encoding: .utf8)
        let rows = csv.split(separator: "\n")
        #expect(rows.first == "transport,message,sent_ms,latency_ms,delivered")
        #expect(rows.count == 1 + 4 * 1_000, "one row per message of UDP and the three RUDP streams")
        #expect(rows.contains { $0.hasPrefix("udp,") && $0.hasSuffix(",,false") }, "a lost UDP message has no latency")
        #expect(!rows.contains { $0.hasPrefix("tcp,") })
        #expect(rows[1] == "udp,0,0.000,20.000,true")

        let responses = try String(contentsOfFile: directory + "/responses.csv", encoding: .utf8).split(separator: "\n")
        #expect(responses.first == "exchange,trial,response_ms,answered")
        #expect(responses.count == 1 + 4 * 50, "UDP, RUDP and both RUDP 0-RTT rows; TCP's are not measured on sim")

        let summary = try JSONValue(parsing: try String(contentsOfFile: directory + "/summary.json", encoding: .utf8))
        #expect(summary["title"]?.stringValue == "Why UDP (test)")
        #expect(summary["plots"]?.arrayValue?.first?.stringValue == "latency-cdf.svg")
        let streams = try #require(summary["streams"]?.arrayValue)
        #expect(streams.map { $0["transport"]?.stringValue } == ["udp", "tcp", "rudp-ordered", "rudp-unordered", "rudp-redundant"])
        #expect(streams[4]["redundant_bytes"]?.intValue == Self.defaults.stream(.rudpRedundant)?.redundantBytes)
        #expect(streams[1]["status"]?.stringValue == "not measured")
        #expect(streams[2]["p99_ms"]?.doubleValue == Self.defaults.stream(.rudpOrdered)?.percentile(0.99))
        #expect(streams[2]["lost"]?.intValue == 0)

        let migration = try #require(summary["migration"]?["transfers"]?.arrayValue)
        #expect(migration.map { $0["transport"]?.stringValue } == ["RUDP", "TCP"])
        #expect(migration[0]["intact"]?.boolValue == true && migration[1]["status"]?.stringValue == "not measured")

        let readme = try String(contentsOfFile: directory + "/README.md", encoding: .utf8)
        #expect(readme.hasPrefix("# Why UDP (test)"))
        #expect(readme.contains("## A path that changes address"))
        #expect(readme.contains("| RUDP | intact |"))
        #expect(readme.contains("| transport | delivered | lost | p50 | p90 | p95 | p99 | max | mean | late | retransmissions |"))
        #expect(readme.contains("| TCP | not measured |"))
        #expect(readme.contains("![Message latency CDF](latency-cdf.svg)"))
        #expect(readme.contains("RUDP ordered p99 70 ms vs unordered 70 ms"))
        #expect(readme.contains("rudp-lab why-udp --out x"))

        // The results index finds it like any experiment.
        let entry = try #require(ResultsIndex.entry(directory: "why-udp", path: directory))
        #expect(entry.title == "Why UDP (test)" && entry.headlinePlot == "latency-cdf.svg")
    }

    @Test func theCDFPlotIsXMLWithAxesLegendAndOneLinePerMeasuredTransport() throws {
        let svg = WhyUDPReport.chart(Self.defaults).render()
        let structure = try SVGStructure(svg)
        #expect(structure.root == "svg")
        for role in ["axis x-axis", "axis y-axis", "axis x-axis tail", "axis y-axis tail", "legend",
                     "series udp", "series rudp-ordered", "series rudp-unordered", "series rudp-ordered tail"] {
            #expect(structure.groupClasses.contains(role), "missing \(role)")
        }
        #expect(!structure.groupClasses.contains("series tcp"), "no line for an unmeasured transport")
        #expect(structure.texts.contains("latency (ms, log scale)"))
        #expect(structure.texts.contains("messages arrived within (%)"))
        #expect(structure.texts.contains { $0.hasPrefix("UDP: 1.9% lost") })
        #expect(structure.texts.contains("TCP is not measured on sim"))
        #expect(structure.texts.contains("99th percentile"))
    }

    @Test func theCDFCurveClimbsToTheDeliveredShare() {
        let stream = MessageStreamResult(transport: .udp, sentMilliseconds: [0, 1, 2, 3],
                                         latencyMilliseconds: [20, 20, nil, 30])
        let curve = WhyUDPLatencyChart.curve(stream)
        #expect(curve.map(\.x) == [20, 20, 30, 30])
        #expect(curve.map(\.y) == [0, 50, 50, 75])
    }

    @Test func theCommandLineTakesTheDefaultsAndRejectsNonsense() throws {
        let options = try WhyUDPCommandLine.parse(["rudp-lab why-udp", "--out", "/tmp/x"])
        #expect(options.plan == WhyUDPPlan())
        #expect(options.outDirectory == "/tmp/x")
        let other = try WhyUDPCommandLine.parse(["rudp-lab why-udp", "--loss", "5", "--delay", "10ms", "--network", "link"])
        #expect(other.plan.loss == 0.05 && other.plan.delay == 10_000_000 && other.plan.network == .link)
        #expect(other.outDirectory.hasPrefix("results/why-udp-link-"))
        #expect(throws: UsageError.self) { try WhyUDPCommandLine.parse(["rudp-lab why-udp", "--network", "proxy"]) }
        #expect(throws: UsageError.self) { try WhyUDPCommandLine.parse(["rudp-lab why-udp", "--size", "8"]) }
        #expect(throws: UsageError.self) { try WhyUDPCommandLine.parse(["rudp-lab why-udp", "--loss", "150%"]) }
    }

    @Test func theLinkRunnerJoinsTheSendAndArrivalLogs() {
        let source = ["sent 0 1000000000", "sent 1 1020000000", "sent 2 1040000000", "retransmissions 3", "done"]
        let sink = ["arrived 0 1000000000 1020500000", "arrived 2 1040000000 1130000000", "done"]
        let result = WhyUDPLinkRunner.streamResult(.rudpOrdered, sourceLines: source, sinkLines: sink, failure: nil)
        #expect(result.sentMilliseconds == [0, 20, 40])
        #expect(result.latencyMilliseconds == [20.5, nil, 90])
        #expect(result.lost == 1)
        #expect(result.retransmissions == 3)
        #expect(result.failure == nil)
        let empty = WhyUDPLinkRunner.streamResult(.udp, sourceLines: [], sinkLines: [], failure: nil)
        #expect(empty.failure == "no message was sent")
    }

    @Test func peerArgumentsRoundTripThroughTheirLines() {
        #expect(WhyUDPPeerInterface.fields(WhyUDPPeerInterface.arrivedLine(index: 7, sentAt: 5, arrivedAt: 9),
                                           keyword: "arrived") == ["7", "5", "9"])
        #expect(WhyUDPPeerInterface.trialLine(index: 3, nanoseconds: nil) == "trial 3 none")
        let plan = WhyUDPPlan()
        let source = WhyUDPPeerInterface.sourceArguments(.rudpUnordered, to: "10.77.0.2:5000", plan: plan)
        #expect(source.prefix(4) == ["why-udp-peer", "source", "--transport", "rudp-unordered"])
        #expect(source.contains("20000000ns"))
        #expect(WhyUDPPeerInterface.sinkArguments(.rudpOrdered, listen: "x", plan: plan)[3] == "rudp")
    }
}
