import RUDP

/// Where a sweep's transfers run.
public enum NetworkKind: String, Sendable, CaseIterable, CustomStringConvertible {
    /// In-process simulation on a virtual clock.
    case sim
    /// Real processes on loopback through lossproxy's UDP relay.
    case proxy
    /// Real processes in two network namespaces joined by lossproxy's TUN link.
    case link
    /// rudp-send here, against a rudp-recv the user started on another machine (`--to`).
    case external

    public var description: String { rawValue }
}

/// Everything a sweep will do: the grid of conditions, the repeats and the settings of every run.
public struct SweepPlan: Sendable, Equatable {
    public var protocols: [LabProtocol]
    /// The congestion controls each protocol runs (`--cc`); a protocol missing here runs its
    /// sweep default (`SenderControl.sweepDefault`).
    public var controls: [LabProtocol: [SenderControl]] = [:]
    /// Loss probabilities (0...1).
    public var losses: [Double]
    /// One-way delays in nanoseconds.
    public var delays: [UInt64]
    /// Rates in bits per second (0 = unlimited).
    public var rates: [UInt64]
    /// Windows of the fixed-window senders (gbn and sr with `--cc none`).
    public var windows: [Int]
    /// Windows, as caps on the congestion window, of the senders a controller drives: nil for
    /// rudp-send's own cap with a controller, `SenderConfiguration.maxWindow`, so that the
    /// controller and not the window sizes the flight.
    public var controlledWindows: [Int]?
    public var size: Int
    public var repeats: Int
    public var network: NetworkKind
    /// Payload bytes per packet for the RUDP protocols.
    public var mss: Int = 1200
    /// Retransmission timeout: adaptive (RFC 6298) or fixed, in nanoseconds.
    public var retransmission: RetransmissionTimer.Policy = .adaptive
    public var maxRetries: Int = 10
    /// The bottleneck queue in packets, each direction; nil for the impairment engine's default.
    public var queueLimit: Int?
    /// Seed from which every run's seed is derived.
    public var seed: UInt64 = 1
    /// The far receiver, HOST:PORT, of `--network external`.
    public var externalTarget: String?

    public init(protocols: [LabProtocol], losses: [Double], delays: [UInt64], rates: [UInt64], windows: [Int],
                size: Int, repeats: Int, network: NetworkKind) {
        self.protocols = protocols
        self.losses = losses
        self.delays = delays
        self.rates = rates
        self.windows = windows
        self.size = size
        self.repeats = repeats
        self.network = network
    }

    /// The fixed timeout in seconds, or nil when adaptive.
    public var fixedTimeout: Double? {
        if case .fixed(let nanoseconds) = retransmission { return Double(nanoseconds) / 1e9 }
        return nil
    }

    /// The controls `labProtocol` runs, in order.
    public func controls(for labProtocol: LabProtocol) -> [SenderControl] {
        controls[labProtocol] ?? [SenderControl.sweepDefault(for: labProtocol)]
    }

    /// The windows a sender with `control` runs (before stop-and-wait's 1 and TCP's none).
    public func windows(for control: SenderControl) -> [Int] {
        control.isAdaptive ? controlledWindows ?? [SenderConfiguration.maxWindow] : windows
    }

    /// The windows the window axis shows: the fixed-window senders' (gbn, sr), or when only
    /// controllers use a window, their caps; none when no sender uses the window setting.
    public var sweptWindows: [Int] {
        let users = series.filter { $0.labProtocol.usesWindow }
        if users.contains(where: { !$0.control.isAdaptive }) { return windows }
        return users.isEmpty ? [] : windows(for: users[0].control)
    }

    /// The window cap of the controlled senders when it differs from the fixed-window senders'
    /// windows (both kinds swept, --window not given), for plot subtitles; nil otherwise.
    public var separateControlledWindow: Int? {
        let users = series.filter { $0.labProtocol.usesWindow }
        guard users.contains(where: { !$0.control.isAdaptive }), users.contains(where: { $0.control.isAdaptive }),
              controlledWindows == nil else { return nil }
        return SenderConfiguration.maxWindow
    }

    /// Whether any RUDP sender of the plan runs a congestion controller.
    public var hasControlledRUDP: Bool {
        protocols.contains { $0 != .tcp && controls(for: $0).contains(where: \.isAdaptive) }
    }

    /// Every series, protocol by protocol in the order of --protocols, controls in --cc's order.
    public var series: [(labProtocol: LabProtocol, control: SenderControl)] {
        protocols.flatMap { labProtocol in controls(for: labProtocol).map { (labProtocol, $0) } }
    }

    /// Every distinct condition in run order (protocol, control, then rate, delay, window, loss).
    /// Stop-and-wait runs once with window 1 and TCP once with no window, whatever the window list.
    public var conditions: [SweepCondition] {
        var result: [SweepCondition] = []
        var seen = Set<SweepCondition>()
        for (labProtocol, control) in series {
            for rate in rates {
                for delay in delays {
                    for window in windows(for: control) {
                        let effective: Int? = switch labProtocol {
                        case .stopAndWait: 1
                        case .tcp: nil
                        case .goBackN, .selectiveRepeat: window
                        }
                        for loss in losses {
                            let condition = SweepCondition(labProtocol: labProtocol, control: control, loss: loss,
                                                           delay: delay, rate: rate, window: effective, size: size)
                            if seen.insert(condition).inserted { result.append(condition) }
                        }
                    }
                }
            }
        }
        return result
    }

    /// The seed of one run: a stable function of the plan's seed, the condition and the repeat,
    /// so any single run can be reproduced alone.
    public func seed(for condition: SweepCondition, repeatNumber: Int) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325 ^ seed
        func mix(_ value: UInt64) {
            for shift in stride(from: 0, to: 64, by: 8) {
                hash ^= (value >> UInt64(shift)) & 0xFF
                hash = hash &* 0x0000_0100_0000_01B3
            }
        }
        mix(UInt64(LabProtocol.allCases.firstIndex(of: condition.labProtocol)!))
        mix(condition.loss.bitPattern)
        mix(condition.delay)
        mix(condition.rate)
        mix(UInt64(condition.window ?? 0))
        mix(UInt64(condition.size))
        mix(UInt64(repeatNumber))
        // The default control adds nothing, so textbook runs keep the seeds they always had.
        if condition.control != SenderControl.sweepDefault(for: condition.labProtocol) { mix(condition.control.seedValue) }
        return hash
    }
}
