import CLIKit

/// One progress report of a flow's sender (`rudp-send --interval`), on the experiment's clock.
public struct ProgressSample: Sendable, Equatable {
    /// Seconds since the first flow started.
    public var time: Double
    /// File bytes the receiver acknowledged since the flow started.
    public var bytesAcknowledged: Double
    public var retransmissions: Int
    /// The sender's smoothed RTT in milliseconds, once it has one.
    public var smoothedRTT: Double?

    public init(time: Double, bytesAcknowledged: Double, retransmissions: Int = 0, smoothedRTT: Double? = nil) {
        self.time = time
        self.bytesAcknowledged = bytesAcknowledged
        self.retransmissions = retransmissions
        self.smoothedRTT = smoothedRTT
    }
}

/// What one flow's sender said while it ran: its progress and the congestion control it used.
public struct FlowProgress: Sendable, Equatable {
    /// When the flow started, in seconds after the first.
    public var start: Double
    /// Its progress, with a first sample of nothing at its start.
    public var samples: [ProgressSample]
    /// The controller (RUDP) or the kernel's congestion control read back from the socket (TCP).
    public var congestionControl: String?
    /// Why the sender stopped before the end, if it did.
    public var failure: String?

    public init(start: Double, samples: [ProgressSample], congestionControl: String? = nil, failure: String? = nil) {
        self.start = start
        self.samples = samples
        self.congestionControl = congestionControl
        self.failure = failure
    }

    /// Reads a sender's stdout: its `{"event":"interval",…}` lines (seconds since its own start,
    /// which is `start` on the experiment's clock) and the summary, if it finished.
    public static func read(stdout lines: [String], start: Double, isTCP: Bool) -> FlowProgress {
        var progress = FlowProgress(start: start, samples: [ProgressSample(time: start, bytesAcknowledged: 0)])
        for line in lines where line.hasPrefix("{") {
            guard let object = try? JSONValue(parsing: line) else { continue }
            if let name = object[isTCP ? "tcp_cc" : "cc"]?.stringValue { progress.congestionControl = name }
            if object["event"]?.stringValue == "interval" {
                guard let end = object["end"]?.doubleValue, let bytes = object["bytes_acked"]?.doubleValue else { continue }
                progress.samples.append(ProgressSample(time: start + end, bytesAcknowledged: bytes,
                                                       retransmissions: object["retransmissions"]?.intValue ?? 0,
                                                       smoothedRTT: object["srtt_ms"]?.doubleValue))
            } else if let seconds = object["seconds"]?.doubleValue, let bytes = object["bytes"]?.doubleValue {
                // The summary of a sender whose file ended first: all of it, then nothing more.
                progress.samples.append(ProgressSample(time: start + seconds, bytesAcknowledged: bytes,
                                                       retransmissions: object["retransmissions"]?.intValue ?? 0))
            }
        }
        progress.samples.sort { $0.time < $1.time }
        return progress
    }

    /// Bytes acknowledged by `time` (seconds on the experiment's clock), interpolated between
    /// samples and held after the last one.
    public func bytes(at time: Double) -> Double {
        guard let first = samples.first, time > first.time else { return 0 }
        guard let after = samples.firstIndex(where: { $0.time >= time }) else { return samples.last!.bytesAcknowledged }
        let (a, b) = (samples[after - 1], samples[after])
        guard b.time > a.time else { return b.bytesAcknowledged }
        return a.bytesAcknowledged + (b.bytesAcknowledged - a.bytesAcknowledged) * (time - a.time) / (b.time - a.time)
    }

    /// The time of the last sample: up to it the flow's progress is known.
    public var lastReport: Double { samples.last?.time ?? start }

    /// Goodput in Mbit/s from `from` to `to` (seconds), over what is known of that span.
    public func goodput(from: Double, to: Double) -> Double? {
        let end = min(to, lastReport)
        let begin = max(from, start)
        guard end > begin else { return nil }
        return (bytes(at: end) - bytes(at: begin)) * 8 / (end - begin) / 1e6
    }

    /// Goodput in Mbit/s in consecutive bins of `width` seconds from the flow's start to `end`,
    /// each at its bin's centre.
    public func series(binWidth width: Double, end: Double) -> [(time: Double, mbps: Double)] {
        var points: [(time: Double, mbps: Double)] = []
        var binStart = start
        while binStart + width <= min(end, lastReport) + 1e-9 {
            if let mbps = goodput(from: binStart, to: binStart + width) { points.append((binStart + width / 2, mbps)) }
            binStart += width
        }
        return points
    }

    /// Retransmissions counted by the last report.
    public var retransmissions: Int { samples.last?.retransmissions ?? 0 }

    /// The median of the sender's smoothed RTT reports, in milliseconds.
    public var medianSmoothedRTT: Double? {
        QueueDelay.percentile(samples.compactMap(\.smoothedRTT), 50)
    }
}
