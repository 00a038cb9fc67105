import RUDP

/// A textbook scenario to animate: a protocol, a window, a few packets over a link with a
/// fixed one-way delay, and exactly which DATA packets and which ACKs the link loses.
public struct AnimationScenario: Sendable, Equatable {
    /// One DATA transmission to lose: packet `index`'s `transmission`-th sending (1 = the first).
    public struct DataLoss: Sendable, Equatable, CustomStringConvertible {
        public var index: Int
        public var transmission: Int

        public init(index: Int, transmission: Int = 1) {
            self.index = index
            self.transmission = transmission
        }

        /// `3` or, for another transmission than the first, `3:2`.
        public var description: String { transmission == 1 ? "\(index)" : "\(index):\(transmission)" }
    }

    public var mode: TransferMode
    /// Packets in flight (1 under stop-and-wait, whatever is given).
    public var window: Int
    /// DATA packets in the transfer.
    public var packets: Int
    public var dataLosses: [DataLoss] = []
    /// ACKs to lose, counted from 0 among the ACKs the receiver sends for data (not the
    /// SYN-ACK or FIN-ACK): 0 is the first ACK.
    public var ackLosses: [Int] = []
    /// Nanoseconds each way.
    public var oneWayDelay: UInt64 = 50_000_000
    /// The link's rate in bits per second, each way: a packet takes its size over the rate to
    /// go out (the textbook's L/R), so packets of one window leave one after the other.
    public var rate: UInt64 = AnimationScenario.defaultRate
    public static let defaultRate: UInt64 = 1_000_000
    public var congestionControl: CongestionAlgorithm = .none
    public var retransmission: RetransmissionTimer.Policy = .adaptive
    /// Payload bytes per packet: the file is `packets` × `mss` bytes.
    public var mss = 1_000
    /// In-order packets the receiver acknowledges together (1: every packet, as in the textbook).
    public var ackFrequency = 1

    public init(mode: TransferMode, window: Int, packets: Int) {
        self.mode = mode
        self.window = window
        self.packets = packets
    }

    /// The window the sender really uses.
    public var effectiveWindow: Int { mode == .stopAndWait ? 1 : window }

    /// The `rudp-lab animate` arguments that give this scenario.
    public var arguments: [String] {
        var words = ["--protocol", mode.shortName, "--window", "\(effectiveWindow)", "--packets", "\(packets)"]
        if !dataLosses.isEmpty { words += ["--lose-data", dataLosses.map(\.description).joined(separator: ",")] }
        if !ackLosses.isEmpty { words += ["--lose-ack", ackLosses.map(String.init).joined(separator: ",")] }
        words += ["--delay", AnimationFormat.duration(oneWayDelay)]
        if rate != Self.defaultRate { words += ["--rate", AnimationFormat.rate(rate)] }
        if congestionControl != .none { words += ["--cc", congestionControl.rawValue] }
        if case .fixed(let timeout) = retransmission { words += ["--rto", AnimationFormat.duration(timeout)] }
        if ackFrequency != 1 { words += ["--ack-frequency", "\(ackFrequency)"] }
        return words
    }

    /// A one-line description: "gbn, window 4, 6 packets, DATA 0 lost, 50 ms each way".
    public var summary: String {
        var parts = [mode.shortName, "window \(effectiveWindow)", "\(packets) packets"]
        if !dataLosses.isEmpty {
            parts.append("DATA " + dataLosses.map { $0.transmission == 1 ? "\($0.index)" : "\($0.index) (\(AnimationFlight.ordinal($0.transmission)) sending)" }
                .joined(separator: ", ") + " lost")
        }
        if !ackLosses.isEmpty {
            parts.append(ackLosses.map { AnimationFlight.ordinal($0 + 1) }.joined(separator: ", ")
                + (ackLosses.count == 1 ? " ACK lost" : " ACKs lost"))
        }
        if dataLosses.isEmpty && ackLosses.isEmpty { parts.append("no loss") }
        parts.append(AnimationFormat.duration(oneWayDelay) + " each way at " + AnimationFormat.rate(rate))
        if congestionControl != .none { parts.append("--cc \(congestionControl.rawValue)") }
        return parts.joined(separator: ", ")
    }
}
