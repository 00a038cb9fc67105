/// The queueing delay the probe saw: its RTT on the idle link (the base) and while the flows ran.
///
/// The probe is a small UDP ping (`rudp-lab share-probe`) every few milliseconds across the same
/// link, so it waits in the same bottleneck queue as the flows' packets: its RTT above the base
/// is the time it queued.
public struct QueueDelay: Sendable, Equatable {
    /// Round trips of the probe before the first flow started, in milliseconds.
    public var idle: [Double]
    /// Round trips while the flows ran.
    public var loaded: [Double]
    /// Probes sent while the flows ran, and how many never came back.
    public var loadedSent: Int
    public var loadedLost: Int

    public init(idle: [Double], loaded: [Double], loadedSent: Int, loadedLost: Int) {
        self.idle = idle
        self.loaded = loaded
        self.loadedSent = loadedSent
        self.loadedLost = loadedLost
    }

    /// The base RTT: the median on the idle link.
    public var base: Double? { Self.percentile(idle, 50) }
    public var loadedMedian: Double? { Self.percentile(loaded, 50) }
    public var loaded95: Double? { Self.percentile(loaded, 95) }
    /// The queueing delay at the median and at the 95th percentile: loaded RTT minus the base.
    public var queueingMedian: Double? { difference(loadedMedian) }
    public var queueing95: Double? { difference(loaded95) }

    private func difference(_ value: Double?) -> Double? {
        guard let value, let base else { return nil }
        return max(0, value - base)
    }

    /// The `percent` percentile of `values` (nearest rank); nil when there are none.
    public static func percentile(_ values: [Double], _ percent: Double) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        let rank = Int((percent / 100 * Double(sorted.count)).rounded(.up))
        return sorted[min(sorted.count - 1, max(0, rank - 1))]
    }
}
