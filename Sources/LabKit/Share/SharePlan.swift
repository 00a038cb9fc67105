/// What a shared-bottleneck experiment runs: the flows, the link they share and the timing.
public struct SharePlan: Sendable, Equatable {
    public var flows: [ShareFlow]
    /// The bottleneck rate in bits per second, each direction.
    public var rate: UInt64
    /// One-way delay in nanoseconds, each direction (the base RTT is twice this).
    public var delay: UInt64
    /// The bottleneck queue in packets; nil takes about one bandwidth-delay product.
    public var queue: Int?
    /// From the first flow's start to the end of every flow, in nanoseconds.
    public var duration: UInt64
    /// Flow i starts i × stagger after the first; every flow runs to the end.
    public var stagger: UInt64 = 0
    /// The window cap of RUDP flows that name none (nil: rudp-send's default).
    public var window: Int?
    public var mss = 1200
    /// How often each sender reports its progress (`rudp-send --interval`).
    public var sampleInterval: UInt64 = 100_000_000
    /// How often the queue probe pings across the link.
    public var probeInterval: UInt64 = 10_000_000
    /// How long the probe measures the idle link before the first flow starts.
    public var idleProbe: UInt64 = 1_000_000_000
    public var seed: UInt64 = 1

    public init(flows: [ShareFlow], rate: UInt64, delay: UInt64, queue: Int? = nil, duration: UInt64) {
        self.flows = flows
        self.rate = rate
        self.delay = delay
        self.queue = queue
        self.duration = duration
    }

    /// The size of a full packet on the link, for the BDP in packets (TCP's, the largest).
    public static let packetBytes = 1_500

    /// One bandwidth-delay product in full packets: rate × 2 × delay / 1500 bytes, at least 2.
    public static func bdpPackets(rate: UInt64, delay: UInt64) -> Int {
        let bytes = Double(rate) / 8 * 2 * Double(delay) / 1e9
        return max(2, Int((bytes / Double(packetBytes)).rounded(.up)))
    }

    /// The queue in packets the link gets.
    public var queueLimit: Int { queue ?? Self.bdpPackets(rate: rate, delay: delay) }

    /// The longest a packet can wait in a full queue, in nanoseconds (full packets).
    public var fullQueueDelay: UInt64 {
        UInt64(Double(queueLimit * Self.packetBytes * 8) / Double(rate) * 1e9)
    }

    /// When flow `index` starts, in nanoseconds after the first.
    public func startOffset(of index: Int) -> UInt64 { UInt64(index) * stagger }

    /// When the last flow starts: from then to the end every flow competes.
    public var lastStart: UInt64 { startOffset(of: flows.count - 1) }

    /// A file no flow can finish before the end: the whole link for the whole run, and a margin.
    public var fileSize: Int {
        Int(Double(rate) / 8 * (Double(duration) / 1e9 + 2) * 1.1)
    }

    /// A problem with the plan that makes it unrunnable, in words; nil when it can run.
    public var problem: String? {
        if rate == 0 { return "--rate must be above 0: the flows share a bottleneck" }
        if lastStart >= duration {
            return "the last flow would start at \(Double(lastStart) / 1e9) s, not before the end at "
                + "\(Double(duration) / 1e9) s: shorten --stagger or lengthen --duration"
        }
        return nil
    }
}
