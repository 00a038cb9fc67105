import Foundation

/// A finished shared-bottleneck experiment: what each flow's sender and the queue probe said,
/// and the figures the report shows, computed from them.
public struct ShareResults: Sendable {
    public var plan: SharePlan
    /// One per flow of the plan, in order.
    public var flows: [FlowProgress]
    public var queue: QueueDelay
    /// The probe's round trips over time: (seconds after the first flow started, RTT in ms).
    public var probe: [ProbeSample]
    public var started: Date
    public var finished: Date

    public init(plan: SharePlan, flows: [FlowProgress], queue: QueueDelay, probe: [ProbeSample],
                started: Date, finished: Date) {
        self.plan = plan
        self.flows = flows
        self.queue = queue
        self.probe = probe
        self.started = started
        self.finished = finished
    }

    /// The experiment's length in seconds.
    public var duration: Double { Double(plan.duration) / 1e9 }
    /// When the last flow started, in seconds: from then on every flow competes.
    public var lastStart: Double { Double(plan.lastStart) / 1e9 }
    public var linkMbps: Double { Double(plan.rate) / 1e6 }
    /// What each flow would get if the link were shared equally, in Mbit/s.
    public var fairShare: Double { linkMbps / Double(max(1, flows.count)) }

    /// A flow whose goodput is below this fraction of its fair share is starved.
    public static let starvedBelow = 0.2

    /// Each flow's goodput from its start to the end, in Mbit/s.
    public var goodputs: [Double] { flows.map { goodput($0, from: $0.start) } }

    /// Each flow's goodput while every flow ran (from the last start to the end).
    public var competingGoodputs: [Double] { flows.map { goodput($0, from: lastStart) } }

    /// A running flow's goodput over what its reports cover (the last one comes up to a sample
    /// interval before the end); a flow that stopped early delivered nothing after it stopped.
    private func goodput(_ flow: FlowProgress, from: Double) -> Double {
        let begin = max(from, flow.start)
        if flow.failure != nil {
            guard duration > begin else { return 0 }
            return (flow.bytes(at: duration) - flow.bytes(at: begin)) * 8 / (duration - begin) / 1e6
        }
        return flow.goodput(from: begin, to: duration) ?? 0
    }

    /// Each flow's part of the goodput while every flow ran (0…1).
    public var shares: [Double] {
        let total = competingGoodputs.reduce(0, +)
        return competingGoodputs.map { total > 0 ? $0 / total : 0 }
    }

    /// Jain's index over the goodputs while every flow ran.
    public var jainIndex: Double? { FairnessIndex.jain(competingGoodputs) }

    /// The flows' goodputs summed over the link rate, each weighed by the part of the run it
    /// sent in (a staggered flow counts for less): what the link carried over what it could.
    public var utilisation: Double? {
        let bits = flows.indices.map { goodputs[$0] * 1e6 * max(0, duration - flows[$0].start) / duration }
        return FairnessIndex.utilisation(goodputs: bits, linkRate: Double(plan.rate))
    }

    /// The flows (by index) with less than `starvedBelow` of their fair share while all ran.
    public var starved: [Int] {
        guard flows.count > 1 else { return [] }
        return competingGoodputs.indices.filter { competingGoodputs[$0] < Self.starvedBelow * fairShare }
    }

    /// `sr:bbr`, or `sr (bbr)` for a flow that left the choice to rudp-send and reported it.
    public func label(_ index: Int) -> String {
        let flow = plan.flows[index]
        if flow.congestionControl == nil, let used = flows[index].congestionControl { return "\(flow) (\(used))" }
        return flow.description
    }

    /// `flow 2 (tcp:cubic)`: a flow named in a sentence.
    public func name(_ index: Int) -> String { "flow \(index + 1) (\(label(index)))" }
}

/// One round trip of the queue probe.
public struct ProbeSample: Sendable, Equatable {
    /// When it was sent, in seconds after the first flow started (negative before).
    public var time: Double
    /// Its round-trip time in milliseconds; nil when no answer came back.
    public var rtt: Double?

    public init(time: Double, rtt: Double?) {
        self.time = time
        self.rtt = rtt
    }
}

extension QueueDelay {
    /// The idle and loaded round trips of `samples`: before time 0 the link is idle; probes
    /// sent in the last second are left out of the losses (their answers may still be on the way).
    public init(samples: [ProbeSample], duration: Double) {
        let idle = samples.filter { $0.time < 0 }.compactMap(\.rtt)
        let loaded = samples.filter { $0.time >= 0 && $0.time <= duration }
        let counted = loaded.filter { $0.time <= duration - 1 }
        self.init(idle: idle, loaded: loaded.compactMap(\.rtt), loadedSent: counted.count,
                  loadedLost: counted.filter { $0.rtt == nil }.count)
    }
}
