/// The RFC 6298 retransmission-timeout estimator: SRTT, RTTVAR, K = 4, α = 1/8, β = 1/4,
/// exponential backoff, lower and upper bounds. Times are nanoseconds.
public struct RetransmissionTimer: Sendable {
    /// How the timeout is chosen: adaptive per RFC 6298, or fixed by the user (`--rto DUR`).
    public enum Policy: Sendable, Equatable {
        case adaptive
        case fixed(UInt64)
    }

    public static let defaultInitial: UInt64 = 1_000_000_000
    public static let defaultMinimum: UInt64 = 50_000_000
    public static let defaultMaximum: UInt64 = 4_000_000_000
    /// Clock granularity G of RFC 6298: our timestamps count microseconds.
    public static let granularity: UInt64 = 1_000
    /// The least margin above SRTT a congestion-controlled sender allows, as a share of SRTT: one
    /// whole SRTT. A controller fills the bottleneck's queue, so the RTT can double within a round
    /// trip (Startup, a competing flow); on a path without jitter RTTVAR is near zero, and a
    /// timeout just above SRTT would fire on every packet in flight. (Linux TCP keeps 200 ms
    /// instead, which on a 20 ms path makes each tail loss cost ten round trips.)
    public static let controlledMargin = 1.0

    public let policy: Policy
    public let minimum: UInt64
    public let maximum: UInt64
    /// The least margin above SRTT as a share of SRTT: 0 for the textbook sender (G alone),
    /// `controlledMargin` with a controller.
    public let margin: Double
    public private(set) var smoothedRTT: UInt64?
    public private(set) var rttVariation: UInt64 = 0
    /// The timeout before backoff.
    public private(set) var baseTimeout: UInt64
    /// Number of doublings applied since the last RTT sample.
    public private(set) var backoffCount = 0

    public init(policy: Policy = .adaptive, initial: UInt64 = defaultInitial,
                minimum: UInt64 = defaultMinimum, maximum: UInt64 = defaultMaximum, margin: Double = 0) {
        self.policy = policy
        self.margin = margin
        self.minimum = minimum
        self.maximum = max(maximum, minimum)
        switch policy {
        case .adaptive: baseTimeout = Swift.min(Swift.max(initial, minimum), self.maximum)
        case .fixed(let value): baseTimeout = value
        }
    }

    /// The current timeout: the base doubled once per backoff, never above the maximum.
    /// A fixed timeout stays fixed: textbook experiments set it and expect no backoff.
    public var timeout: UInt64 {
        guard case .adaptive = policy else { return baseTimeout }
        var value = baseTimeout
        for _ in 0..<backoffCount where value < maximum { value = Swift.min(value &* 2, maximum) }
        return value
    }

    /// Feeds one RTT measurement (RFC 6298 section 2) and clears the backoff (section 5.7 spirit:
    /// a fresh sample means the path answers again).
    public mutating func addSample(_ rtt: UInt64) {
        backoffCount = 0
        guard case .adaptive = policy else { return }
        if let srtt = smoothedRTT {
            let difference = srtt > rtt ? srtt - rtt : rtt - srtt
            rttVariation = (3 * rttVariation + difference) / 4
            smoothedRTT = (7 * srtt + rtt) / 8
        } else {
            smoothedRTT = rtt
            rttVariation = rtt / 2
        }
        let floor = Swift.max(Self.granularity, UInt64(margin * Double(smoothedRTT!)))
        let computed = smoothedRTT! + Swift.max(floor, 4 * rttVariation)
        baseTimeout = Swift.min(Swift.max(computed, minimum), maximum)
    }

    /// Doubles the timeout after it expired (RFC 6298 5.5), up to the maximum.
    public mutating func backOff() {
        if case .adaptive = policy, timeout < maximum { backoffCount += 1 }
    }
}

/// Minimum, mean and maximum of the RTT samples a connection took.
public struct RTTSummary: Sendable, Equatable {
    public private(set) var count = 0
    public private(set) var minimum: UInt64 = 0
    public private(set) var maximum: UInt64 = 0
    private var total: UInt64 = 0

    public init() {}

    public var mean: UInt64 { count == 0 ? 0 : total / UInt64(count) }

    public mutating func add(_ rtt: UInt64) {
        minimum = count == 0 ? rtt : min(minimum, rtt)
        maximum = max(maximum, rtt)
        total &+= rtt
        count += 1
    }
}
