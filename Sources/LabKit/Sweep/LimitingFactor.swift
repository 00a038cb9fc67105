/// What held one condition's goodput down, computed from the condition and the measurement:
/// the window (W × MSS per round trip below the rate), the bottleneck rate, or loss (well
/// below both). The reading names it so a student learns the cause, not only the number.
enum LimitingFactor: Equatable {
    /// W × MSS × 8 / RTT is the lower bound and the run came near it (or nothing was lost).
    case window(boundMbps: Double, packets: Int, pathPackets: Int?)
    /// The bottleneck rate is the lower bound and the run came near it.
    case rate(boundMbps: Double)
    /// Loss kept the run well below the lower bound.
    case loss(boundMbps: Double, achieved: Double)

    /// Below this share of the lower bound, a lossy run counts as loss-limited.
    static let lossThreshold = 0.7

    /// The cause at `summary`'s condition, or nil when the lab cannot know one (no delay and no
    /// rate set, as on loopback or another machine's path, or nothing succeeded).
    static func of(_ summary: ConditionSummary, mss: Int) -> LimitingFactor? {
        let condition = summary.condition
        guard let measured = summary.meanGoodput, measured > 0 else { return nil }
        let roundTrip = 2 * Double(condition.delay) / 1e9
        var windowBound: Double?
        // TCP's window is the kernel's to size: only the rate bounds it here.
        if condition.labProtocol != .tcp, let window = condition.window, roundTrip > 0 {
            windowBound = Double(window * mss) * 8 / roundTrip / 1e6
        }
        let rateBound: Double? = condition.rate > 0 ? Double(condition.rate) / 1e6 : nil
        let bound: Double
        let byWindow: Bool
        switch (windowBound, rateBound) {
        case (let w?, let r?): (bound, byWindow) = (min(w, r), w < r)
        case (let w?, nil): (bound, byWindow) = (w, true)
        case (nil, let r?): (bound, byWindow) = (r, false)
        case (nil, nil): return nil
        }
        let achieved = measured / bound
        if condition.loss > 0 && achieved < lossThreshold { return .loss(boundMbps: bound, achieved: achieved) }
        guard byWindow else { return .rate(boundMbps: bound) }
        let path = rateBound.map { Int((($0 * 1e6 * roundTrip) / Double(mss * 8)).rounded()) }
        return .window(boundMbps: bound, packets: condition.window ?? 1, pathPackets: path)
    }

    /// The cause's name as the reading groups by it.
    var name: String {
        switch self {
        case .window: "window-limited"
        case .rate: "rate-limited"
        case .loss: "loss-limited"
        }
    }
}
