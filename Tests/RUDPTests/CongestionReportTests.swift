import Impairment
import RUDP
import RUDPSim
import Testing

/// The congestion reports a traced sender gives its observer (the `cwnd` lines of `--trace`).
@Suite struct CongestionReportTests {
    static let ms: UInt64 = 1_000_000
    static let mss = 1_000

    /// A Selective Repeat sender on a hand-driven path: 10 ms each way, every packet acknowledged
    /// on arrival (cumulative plus SACK blocks), and chosen transmissions lost.
    final class HandDrivenPath: @unchecked Sendable {
        let isn: UInt32 = 5_000
        let sender: Sender
        /// (index, transmission number) pairs the path loses; 1 is the first transmission.
        var drops: Set<[UInt64]> = []
        var received: Set<UInt64> = []
        var transmissions: [UInt64: UInt64] = [:]
        var acknowledgements: [(time: UInt64, header: PacketHeader, sacks: [SackBlock])] = []
        /// Every congestion report, with the controller's window and the bytes in flight when it came.
        var reports: [(time: UInt64, report: CongestionReport, controllerWindow: Int, inFlight: Int)] = []
        var otherEvents = 0
        var buffer = [UInt8](repeating: 0, count: 4_096)

        init(congestionControl: CongestionAlgorithm, packets: Int) {
            var configuration = SenderConfiguration(mode: .selectiveRepeat, mss: CongestionReportTests.mss, window: 512,
                                                    connectionID: 7, initialSequence: isn, fileName: [],
                                                    fileSize: UInt64(packets * CongestionReportTests.mss))
            configuration.congestionControl = congestionControl
            sender = Sender(configuration: configuration, now: 0)
        }

        func observe() {
            sender.observer = { [unowned self] now, event in
                switch event {
                case .sent(let index, _, _): self.arrive(index, sentAt: now)
                case .congestion(let report):
                    self.reports.append((now, report, self.sender.congestion.window, self.sender.bytesInFlight))
                default: self.otherEvents += 1
                }
            }
        }

        func wire(_ index: UInt64) -> SequenceNumber { SequenceNumber(isn) + 1 + UInt32(index) }

        /// The receiver's side: a packet that is not dropped arrives 10 ms after it left and is
        /// acknowledged at once; the ACK reaches the sender 10 ms later.
        func arrive(_ index: UInt64, sentAt now: UInt64) {
            let count = (transmissions[index] ?? 0) + 1
            transmissions[index] = count
            guard !drops.contains([index, count]) else { return }
            received.insert(index)
            var cumulative: UInt64 = 0
            while received.contains(cumulative) { cumulative += 1 }
            var sacks: [SackBlock] = []
            var start: UInt64?
            for candidate in cumulative...(received.max() ?? 0) + 1 {
                if received.contains(candidate) {
                    if start == nil { start = candidate }
                } else if let first = start {
                    if sacks.count < 8 { sacks.append(SackBlock(start: wire(first), end: wire(candidate))) }
                    start = nil
                }
            }
            acknowledgements.append((now + 20 * CongestionReportTests.ms,
                                     PacketHeader(type: .ack, connectionID: 7, acknowledgement: wire(cumulative), window: 512),
                                     sacks))
        }

        func drain(_ now: UInt64) {
            while buffer.withUnsafeMutableBytes({ sender.pollTransmit(into: $0, now: now) }) != nil {}
        }

        /// Connects, writes `packets` packets and runs the transfer until everything is acknowledged.
        func run(packets: Int) throws {
            drain(0)
            let synAck = try PacketEncoder.encode(
                PacketHeader(type: .synAck, connectionID: 7, acknowledgement: SequenceNumber(isn) + 1, window: 512),
                payload: SynAckPayload(mss: CongestionReportTests.mss, window: 512).encoded())
            synAck.withUnsafeBytes { _ = sender.handle(datagram: $0, now: CongestionReportTests.ms) }
            let data = [UInt8](repeating: 7, count: packets * CongestionReportTests.mss)
            var written = 0
            func feed() {
                written += data.withUnsafeBytes { sender.write(UnsafeRawBufferPointer(rebasing: $0[written...])) }
            }
            feed()
            drain(CongestionReportTests.ms)
            var now = CongestionReportTests.ms
            var steps = 0
            while received.count < packets {
                steps += 1
                try #require(steps < 100_000, "no progress: \(received.count) of \(packets) received, state \(sender.state)")
                let ackTime = acknowledgements.first?.time ?? .max
                let deadline = try #require(sender.nextDeadline ?? (ackTime == .max ? nil : ackTime), "the sender stalled")
                if ackTime <= deadline {
                    let ack = acknowledgements.removeFirst()
                    now = ack.time
                    let bytes = try PacketEncoder.encode(ack.header, sacks: ack.sacks)
                    bytes.withUnsafeBytes { _ = sender.handle(datagram: $0, now: now) }
                } else {
                    now = deadline
                    sender.handleTimeout(now: now)
                }
                feed()
                drain(now)
            }
        }
    }

    @Test func newRenoReportsItsWindowAtTheStartOnEveryLossAndOnATimeout() throws {
        let packets = 600
        let path = HandDrivenPath(congestionControl: .reno, packets: packets)
        // Three single losses far apart, and the last packet: nothing after it can show it lost,
        // so its resend waits for the timer.
        path.drops = [[100, 1], [250, 1], [450, 1], [599, 1]]
        path.observe()
        try path.run(packets: packets)
        let reports = path.reports
        let mss = Self.mss

        let first = try #require(reports.first)
        #expect(first.report.cause == .start)
        #expect(first.report.window == 10 * mss && first.report.slowStartThreshold == nil && first.report.mss == mss)
        #expect(first.report.phase == .slowStart && first.report.pacingRate == nil, "NewReno does not pace")

        // Every report but the peak written just before a reduction carries what the controller
        // and the sender held as it was made.
        for (position, entry) in reports.enumerated() {
            let isPeakBeforeReaction = position + 1 < reports.count && reports[position + 1].time == entry.time
                && reports[position + 1].report.cause != .acknowledgement
            if !isPeakBeforeReaction {
                #expect(entry.report.window == entry.controllerWindow, "report \(position): \(entry.report)")
                #expect(entry.report.bytesInFlight == entry.inFlight, "report \(position)")
            }
        }

        let losses = reports.enumerated().filter { $0.element.report.cause == .loss }
        #expect(losses.count >= 3, "one reduction per loss event: \(losses.map(\.element.report))")
        for (position, loss) in losses {
            let peak = reports[position - 1].report
            #expect(reports[position - 1].time == loss.time, "the window it fell from is reported with it")
            #expect(loss.report.window == max(peak.window / 2, 2 * mss), "halved from \(peak.window)")
            #expect(loss.report.slowStartThreshold == loss.report.window)
            #expect(loss.report.phase == .recovery)
        }
        let timeouts = reports.filter { $0.report.cause == .timeout }
        #expect(timeouts.count == 1, "the lost last packet waited for its timer")

        // Between reductions the window only grows, and after the first one by congestion avoidance.
        let afterFirstLoss = reports[losses[0].offset...]
        #expect(afterFirstLoss.contains { $0.report.phase == .congestionAvoidance })
        #expect(!afterFirstLoss.contains { $0.report.phase == .slowStart && $0.report.cause == .acknowledgement
                && $0.report.window > 2 * mss && $0.time < timeouts[0].time },
                "no slow start again before the timeout")

        // Sampled: at most one report per four acknowledgements, besides the reactions (each with
        // its peak) and the end of each recovery period.
        let acknowledgements = Int(path.sender.statistics.acksReceived)
        #expect((reports.count - 3 * losses.count - 3 * timeouts.count - 1) * 4 <= acknowledgements,
                "\(reports.count) reports for \(acknowledgements) ACKs")
    }

    @Test func theTextbookSenderReportsNothing() throws {
        let fixed = HandDrivenPath(congestionControl: .none, packets: 200)
        fixed.drops = [[50, 1]]
        fixed.observe()
        try fixed.run(packets: 200)
        #expect(fixed.reports.isEmpty, "--cc none keeps today's trace")
        #expect(fixed.otherEvents > 0)
    }
}

/// NewReno's sawtooth, as its trace draws it: through a tail-drop bottleneck the window halves
/// at each overflow and climbs back one packet per round trip.
@Suite struct RenoSawtoothTests {
    final class Reports: @unchecked Sendable {
        var list: [(time: UInt64, report: CongestionReport)] = []
    }

    @Test func theWindowHalvesAtEachQueueOverflowAndGrowsLinearlyBetween() throws {
        // 10 Mbit/s, 10 ms each way (a 21-packet BDP), a 20-packet queue: 4 MB take about 3.5 s.
        var scenario = TransferScenario(mode: .selectiveRepeat, size: 4_000_000, seed: 11)
        scenario.congestionControl = .reno
        scenario.window = 1_024
        var forward = TestLinks.delayOnly(10_000_000)
        forward.rate = 10_000_000
        forward.queueLimit = 20
        scenario.forward = forward
        scenario.reverse = TestLinks.delayOnly(10_000_000)
        let reports = Reports()
        let outcome = TransferSimulation.run(scenario) { now, event in
            if case .congestion(let report) = event { reports.list.append((now, report)) }
        }
        #expect(outcome.delivered, "\(outcome.summary(scenario))")
        let series = reports.list
        let packets = series.map { Double($0.report.window) / Double($0.report.mss) }

        // The multiplicative decreases: a reaction that leaves about half the window before it.
        let reductions = series.indices.filter { series[$0].report.cause == .loss || series[$0].report.cause == .timeout }
        #expect(reductions.count >= 4, "\(reductions.count) reductions")
        for position in reductions where packets[position - 1] > 4 {
            let ratio = packets[position] / packets[position - 1]
            #expect(ratio >= 0.45 && ratio <= 0.55, "from \(packets[position - 1]) to \(packets[position]) packets")
        }
        // Between two reductions after slow start: growth only, about one packet per round trip
        // (the RTT is 20 ms plus up to 20 packets of queue, 20 ms more).
        var cycles = 0
        for (from, to) in zip(reductions, reductions.dropFirst()) where to - from > 2 {
            let between = packets[from..<to]
            #expect(zip(between, between.dropFirst()).allSatisfy { $0 <= $1 }, "the window only grows between losses")
            // Growth starts once the recovery period ends (a packet sent after the reduction is acknowledged).
            let growing = try #require((from..<to).first { series[$0].report.phase == .congestionAvoidance },
                                       "no congestion avoidance after the reduction at \(series[from].time) ns")
            guard to - 1 > growing else { continue }
            let gained = packets[to - 1] - packets[growing]
            let seconds = Double(series[to - 1].time - series[growing].time) / 1e9
            let perMinimumRTT = gained / (seconds / 0.020)
            #expect(perMinimumRTT >= 0.45 && perMinimumRTT <= 1.1,
                    "\(gained) packets in \(seconds) s: \(perMinimumRTT) per 20 ms, not congestion avoidance")
            #expect(series[from + 1..<to].allSatisfy { $0.report.phase != .slowStart }, "no slow start between losses")
            cycles += 1
        }
        #expect(cycles >= 3, "\(cycles) sawtooth teeth")
    }
}
