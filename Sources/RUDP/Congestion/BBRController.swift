/// BBR (draft-cardwell-iccrg-bbr-congestion-control, version 1): instead of reading loss as
/// congestion, it models the path from its own measurements, the bottleneck bandwidth (the best
/// delivery rate over the last ten round trips) and the round-trip propagation delay (the least
/// RTT over ten seconds), paces at that bandwidth and keeps about two bandwidth-delay products
/// in flight. Random loss therefore does not slow it down; only a changed model does.
///
/// Its phases: Startup doubles the rate each round trip until the bandwidth stops growing
/// (25 % in three rounds); Drain empties the queue Startup built; ProbeBW cycles its pacing gain
/// (1.25, 0.75, then six rounds at 1) to find more bandwidth and give it back; ProbeRTT, when the
/// minimum RTT is ten seconds old, holds four packets in flight for 200 ms to measure it afresh.
public final class BBRController: CongestionController {
    /// The phase BBR is in.
    public enum Mode: Sendable, Equatable {
        case startup, drain, probeBandwidth, probeRTT
    }

    /// 2/ln 2: the gain that doubles the sending rate every round trip.
    static let highGain = 2.885
    /// The window gain of Startup and Drain: two BDPs (BBR version 3's value; version 1 used the
    /// high gain). Startup's rate still doubles each round, but what it keeps in flight when the
    /// pipe fills is one BDP plus a queue of one BDP, not nearly two BDPs of queue.
    static let startupWindowGain = 2.0
    static let probeGains: [Double] = [1.25, 0.75, 1, 1, 1, 1, 1, 1]
    /// Windows per smoothed RTT that Startup paces at the least, as Linux paces TCP's slow start
    /// (`tcp_pacing_ss_ratio`, 200 %): the window doubles within each round trip, so RFC 9002's
    /// 1.25 (meant for a window that holds still) held the rounds to 1.85×.
    static let slowStartPacingGain = 2.0
    static let bandwidthRounds = 10
    static let minimumRTTLifetime: UInt64 = 10_000_000_000
    static let probeRTTDuration: UInt64 = 200_000_000
    /// Packets BBR keeps in flight at the least (and during ProbeRTT).
    static let minimumPackets = 4

    let mss: Int
    public private(set) var mode = Mode.startup
    public private(set) var window: Int
    public private(set) var pacingRate: Double?
    private var bandwidth = WindowedMaxFilter(length: BBRController.bandwidthRounds)
    public private(set) var minimumRTT: UInt64?
    private var minimumRTTStamp: UInt64 = 0
    /// Whether the last acknowledgement found the minimum RTT older than its lifetime.
    private var minimumRTTExpired = false
    private var pacingGain = BBRController.highGain
    private var windowGain = BBRController.startupWindowGain
    /// Round trips counted by delivered bytes: a round ends when a packet sent after it began is acknowledged.
    private var round = 0
    private var nextRoundDelivered = 0
    private var delivered = 0
    /// Startup's exit test: the bandwidth at the last 25 % step, and rounds without one since.
    private var fullBandwidth = 0.0
    private var roundsWithoutGrowth = 0
    public private(set) var filledPipe = false
    private var cycleIndex = 0
    private var cycleStamp: UInt64 = 0
    private var probeRTTDone: UInt64?
    private var probeRTTRoundDone = false
    /// The window before ProbeRTT or a persistent-congestion collapse, to return to.
    private var priorWindow = 0
    private var beforeTimeout: Int?
    /// ACK aggregation: bytes acknowledged beyond what the modelled bandwidth explains, as the
    /// largest excess of the last ten rounds. A receiver that acknowledges in batches (or a link
    /// that bunches ACKs) needs that much more in flight to keep the bottleneck busy between them.
    private var extraAcknowledged = WindowedMaxFilter(length: BBRController.bandwidthRounds)
    private var aggregationStart: UInt64 = 0
    private var aggregationDelivered = 0
    /// Bytes delivered and declared lost in the current round trip, for the loss share.
    private var roundDelivered = 0
    private var roundLost = 0
    /// A round trip that lost more than this share of what it carried while even its least RTT
    /// stood `startupQueueRatio` above the minimum met a full queue: in Startup, three more rounds
    /// of doubling before the bandwidth plateau shows would lose the better part of a window (BBR
    /// version 2 exits on loss alone); later it sets `inflightLimit`. Random loss with no queue
    /// behind it does neither.
    static let startupLossThreshold = 0.02
    /// Startup's loss exit also needs this many packets lost in the round (BBR version 2's
    /// full_loss_cnt): in the first rounds, one random loss among twenty packets is already 5 %.
    static let congestionLossCount = 8
    static let startupQueueRatio = 1.25
    /// HyStart++'s delay signal, which ends Startup before any loss once a queue builds.
    private var delayGrowth = RoundTripDelayGrowth()
    /// The most in flight during the current round trip.
    private var roundLargestInFlight = 0
    /// After the pipe is full, a round that loses more than 2 % while the RTT shows a standing
    /// queue is congestion, not random loss: someone else's share is being taken, or the queue
    /// overflows. The flight is then capped at `lossBeta` of what it was (never below the BDP
    /// the model measures), and the cap rises by one packet per round trip without such loss,
    /// as Reno's window would (BBR version 2's inflight_hi, with Reno's growth). Random loss with
    /// no queue behind it never sets the cap.
    public private(set) var inflightLimit: Int?
    static let lossBeta = 0.7

    public init(mss: Int) {
        self.mss = mss
        window = NewRenoController.initialWindow(mss: mss)
    }

    public var slowStartThreshold: Int? { nil }

    public var phase: CongestionPhase? {
        switch mode {
        case .startup: .startup
        case .drain: .drain
        case .probeBandwidth: .probeBandwidth
        case .probeRTT: .probeRTT
        }
    }

    var minimumWindow: Int { Self.minimumPackets * mss }

    /// The model's bottleneck bandwidth in bytes per second (0 before any sample).
    public var bottleneckBandwidth: Double { bandwidth.best(round: round) }

    /// The bandwidth-delay product of the model, in bytes; nil before it has both halves.
    var bandwidthDelayProduct: Double? {
        guard let minimumRTT, bottleneckBandwidth > 0 else { return nil }
        return bottleneckBandwidth * Double(minimumRTT) / 1e9
    }

    public func onPacketSent(bytes: Int, now: UInt64) {}

    public func onAcknowledged(_ sample: AcknowledgementSample) {
        delivered += sample.bytes
        roundDelivered += sample.bytes
        if let rtt = sample.rtt { delayGrowth.record(rtt) }
        roundLargestInFlight = max(roundLargestInFlight, sample.bytesInFlight + sample.bytes)
        let roundStarted = advanceRound(sample)
        updateBandwidth(sample)
        updateMinimumRTT(sample)
        updateAckAggregation(sample)
        if roundStarted {
            checkFullPipe(sample)
        } else if !filledPipe && delayGrowth.grew {
            filledPipe = true
        }
        updateMode(sample, roundStarted: roundStarted)
        updatePacingRate(sample)
        updateWindow(sample)
    }

    // MARK: The model

    /// Counts round trips: one ends when a packet sent after the previous end is acknowledged.
    private func advanceRound(_ sample: AcknowledgementSample) -> Bool {
        guard let rate = sample.deliveryRate, rate.priorDelivered >= nextRoundDelivered else { return false }
        nextRoundDelivered = delivered
        round += 1
        return true
    }

    private func updateBandwidth(_ sample: AcknowledgementSample) {
        guard let rate = sample.deliveryRate else { return }
        // An app-limited sample only says the path can do at least that much.
        guard !rate.isAppLimited || rate.bytesPerSecond >= bottleneckBandwidth else { return }
        bandwidth.update(rate.bytesPerSecond, round: round)
    }

    private func updateMinimumRTT(_ sample: AcknowledgementSample) {
        let expired = minimumRTT != nil && sample.now > minimumRTTStamp + Self.minimumRTTLifetime
        minimumRTTExpired = expired
        guard let rtt = sample.rtt else { return }
        if minimumRTT == nil || rtt <= minimumRTT! || expired {
            minimumRTT = rtt
            minimumRTTStamp = sample.now
        }
    }

    /// Measures how far acknowledgements run ahead of the modelled bandwidth: an epoch starts
    /// whenever delivery falls back to the model's pace, and its excess is what arrived in bursts.
    private func updateAckAggregation(_ sample: AcknowledgementSample) {
        let bandwidth = bottleneckBandwidth
        guard bandwidth > 0, sample.bytes > 0 else { return }
        var expected = bandwidth * Double(sample.now &- aggregationStart) / 1e9
        if Double(aggregationDelivered) <= expected {
            aggregationDelivered = 0
            aggregationStart = sample.now
            expected = 0
        }
        aggregationDelivered += sample.bytes
        // At most one BDP (and 32 packets, two of the receiver's delayed ACKs): batches beyond
        // that come from an end host busy with its file, not from the path, and room for them
        // only queues in socket buffers (on loopback, 1,000 packets and a tenfold RTT).
        let excess = min(Double(aggregationDelivered) - expected, Double(window),
                         max(bandwidthDelayProduct ?? 0, Double(32 * mss)))
        extraAcknowledged.update(excess, round: round)
    }

    /// Startup ends once three round trips in a row raised the bandwidth by less than 25 %, or
    /// once a queue shows: the round's minimum RTT grew (HyStart++'s test; the link is then
    /// already delivering all it can, so the bandwidth measured is the bottleneck's), or the
    /// round lost more than 2 % behind a standing queue.
    private func checkFullPipe(_ sample: AcknowledgementSample) {
        let lostShare = Double(roundLost) / Double(max(1, roundLost + roundDelivered))
        let lostEnough = roundLost >= Self.congestionLossCount * mss
        // The round's least RTT, not its largest: one late ACK (a repaired hole's) is no queue.
        let queued = minimumRTT.map { delayGrowth.samples > 0 && Double(delayGrowth.roundMinimum) > Self.startupQueueRatio * Double($0) } ?? false
        let delayGrew = delayGrowth.grew
        delayGrowth.startRound()
        roundLost = 0
        roundDelivered = 0
        let largestInFlight = roundLargestInFlight
        roundLargestInFlight = 0
        let congested = lostShare > Self.startupLossThreshold && queued
        if filledPipe {
            limitInflight(congested: congested, largestInFlight: largestInFlight)
            return
        }
        if (congested && lostEnough) || delayGrew {
            filledPipe = true
            return
        }
        guard sample.deliveryRate?.isAppLimited != true else { return }
        if bottleneckBandwidth >= fullBandwidth * 1.25 {
            fullBandwidth = bottleneckBandwidth
            roundsWithoutGrowth = 0
            return
        }
        roundsWithoutGrowth += 1
        if roundsWithoutGrowth >= 3 { filledPipe = true }
    }

    /// Sets, lowers or raises the flight's cap at the end of a round trip (see `inflightLimit`).
    private func limitInflight(congested: Bool, largestInFlight: Int) {
        if congested {
            let reduced = Int(Self.lossBeta * Double(largestInFlight))
            inflightLimit = max(reduced, Int(bandwidthDelayProduct ?? 0), minimumWindow)
        } else if let limit = inflightLimit {
            inflightLimit = limit + mss
        }
    }

    // MARK: Phases

    private func updateMode(_ sample: AcknowledgementSample, roundStarted: Bool) {
        let now = sample.now
        switch mode {
        case .startup where filledPipe:
            mode = .drain
            pacingGain = 1 / Self.highGain
            windowGain = Self.startupWindowGain
        case .drain where Double(sample.bytesInFlight) <= (bandwidthDelayProduct ?? 0):
            enterProbeBandwidth(now: now)
        case .probeBandwidth:
            advanceCycle(sample)
        default:
            break
        }
        if mode != .probeRTT && minimumRTTExpired {
            mode = .probeRTT
            pacingGain = 1
            windowGain = 1
            priorWindow = max(priorWindow, window)
            probeRTTDone = nil
        }
        if mode == .probeRTT { handleProbeRTT(sample, roundStarted: roundStarted) }
    }

    private func enterProbeBandwidth(now: UInt64) {
        mode = .probeBandwidth
        windowGain = 2
        // Not the 0.75 phase first: it would drain a queue there is none of yet.
        cycleIndex = 2
        pacingGain = Self.probeGains[cycleIndex]
        cycleStamp = now
    }

    /// Moves through the gain cycle about once per minimum RTT; the probing phase lasts until
    /// the flight has grown to 1.25 BDP, the draining one ends as soon as it is back at 1 BDP.
    private func advanceCycle(_ sample: AcknowledgementSample) {
        guard let minimumRTT, let bdp = bandwidthDelayProduct else { return }
        let inFlight = Double(sample.bytesInFlight)
        var advance = sample.now - cycleStamp > minimumRTT
        if pacingGain > 1 && inFlight < pacingGain * bdp { advance = false }
        if pacingGain < 1 && inFlight <= bdp { advance = true }
        guard advance else { return }
        cycleIndex = (cycleIndex + 1) % Self.probeGains.count
        pacingGain = Self.probeGains[cycleIndex]
        cycleStamp = sample.now
    }

    private func handleProbeRTT(_ sample: AcknowledgementSample, roundStarted: Bool) {
        if probeRTTDone == nil {
            guard sample.bytesInFlight <= minimumWindow else { return }
            probeRTTDone = sample.now + Self.probeRTTDuration
            probeRTTRoundDone = false
            nextRoundDelivered = delivered
            return
        }
        if roundStarted { probeRTTRoundDone = true }
        guard probeRTTRoundDone, let done = probeRTTDone, sample.now >= done else { return }
        minimumRTTStamp = sample.now
        window = max(window, priorWindow)
        priorWindow = 0
        if filledPipe {
            enterProbeBandwidth(now: sample.now)
        } else {
            mode = .startup
            pacingGain = Self.highGain
            windowGain = Self.startupWindowGain
        }
    }

    // MARK: Outputs

    private func updatePacingRate(_ sample: AcknowledgementSample) {
        let bandwidth = bottleneckBandwidth
        guard bandwidth > 0 else {
            // No sample yet: the initial window per smoothed RTT (or per millisecond).
            let rtt = Double(sample.smoothedRTT ?? sample.rtt ?? 1_000_000) / 1e9
            pacingRate = Self.highGain * Double(window) / max(rtt, 1e-6)
            return
        }
        var rate = pacingGain * bandwidth
        if mode == .startup, let smoothedRTT = sample.smoothedRTT, smoothedRTT > 0 {
            // Startup never paces slower than a paced slow start. The delivery-rate
            // samples of the first round trips span their idle part (few ACKs, sends spread out),
            // so the best of them times the high gain lags the window: those rounds grew 1.75×
            // instead of doubling.
            rate = max(rate, Self.slowStartPacingGain * Double(window) / (Double(smoothedRTT) / 1e9))
        }
        // Until the pipe is full the rate only rises: one slow sample must not brake Startup.
        if filledPipe || rate > (pacingRate ?? 0) { pacingRate = rate }
    }

    private func updateWindow(_ sample: AcknowledgementSample) {
        if mode == .probeRTT {
            window = min(window, minimumWindow)
            return
        }
        guard let bdp = bandwidthDelayProduct else {
            window += sample.bytes  // no model yet: grow as slow start would
            return
        }
        // Room for the ACKs that arrive in bursts: the measured aggregation, plus three packets'
        // worth (the draft's quanta).
        var target = Int(windowGain * bdp + extraAcknowledged.best(round: round)) + 3 * mss
        if let limit = inflightLimit {
            if limit >= target { inflightLimit = nil } else { target = limit }
        }
        if filledPipe {
            window = min(window + sample.bytes, target)
        } else if window < target || delivered < NewRenoController.initialWindow(mss: mss) {
            window += sample.bytes
        }
        window = max(window, minimumWindow)
    }

    // MARK: Loss and timeouts

    /// Losses do not change the model: random loss is not congestion. They count towards the
    /// round's loss share, which with a standing queue ends Startup or caps the flight.
    public func onLoss(bytes: Int, sentTime: UInt64, now: UInt64) {
        roundLost += bytes
    }

    public func onRetransmissionTimeout(sentTime: UInt64, persistent: Bool, now: UInt64) {
        guard persistent else { return }
        if beforeTimeout == nil { beforeTimeout = window }
        window = minimumWindow
    }

    public func onTimeoutVerdict(spurious: Bool, now: UInt64) {
        if spurious, let saved = beforeTimeout { window = max(window, saved) }
        beforeTimeout = nil
    }
}
