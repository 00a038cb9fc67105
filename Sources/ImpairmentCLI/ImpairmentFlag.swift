import CLIKit
import Impairment

/// One impairment flag as every program spells it: its name, its placeholder, lossproxy's help
/// sentence, and the grammar and bounds of its value (the engine's limits), declared once for
/// lossproxy's relay and link and for rudp-lab's sweep, demo, why-udp and bench-sim.
///
/// A program that describes the flag in its own words (the demo's "Datagrams lost in each
/// direction") passes `help:` when declaring it; one with a tighter limit adds it with `checked`.
public struct ImpairmentFlag<Value> {
    /// The name without dashes (`loss` for `--loss`).
    public let name: String
    /// How the value is named in the help (`P`, `DUR`).
    public let placeholder: String
    /// lossproxy's help sentence.
    public let help: String
    /// Turns the text into a value or throws a `ValueError` saying what is allowed.
    public let parse: (String) throws -> Value

    public init(_ name: String, placeholder: String, help: String, parse: @escaping (String) throws -> Value) {
        self.name = name
        self.placeholder = placeholder
        self.help = help
        self.parse = parse
    }

    /// The same flag with its value turned into another (given the text too, for messages).
    public func map<Other>(_ transform: @escaping (String, Value) throws -> Other) -> ImpairmentFlag<Other> {
        let parse = self.parse
        return ImpairmentFlag<Other>(name, placeholder: placeholder, help: help) { text in
            try transform(text, parse(text))
        }
    }

    /// The same flag under another name (lossproxy's `forward-loss`), same value and help.
    public func renamed(_ other: String) -> ImpairmentFlag<Value> {
        ImpairmentFlag(other, placeholder: placeholder, help: help, parse: parse)
    }

    /// The same flag with a further check of the parsed value (a command's tighter limit).
    public func checked(_ check: @escaping (String, Value) throws -> Void) -> ImpairmentFlag<Value> {
        map { text, value in
            try check(text, value)
            return value
        }
    }
}

extension ImpairmentFlag<PercentValue> {
    /// `--loss P`: Bernoulli loss.
    public static var loss: Self {
        Self("loss", placeholder: "P", help: "Drop each datagram with probability P (Bernoulli), e.g. 5 or 5%",
             parse: PercentValue.parse)
    }

    /// `--loss-correlation P`: netem's `loss P C`, keeping the loss rate (a Markov chain).
    public static var lossCorrelation: Self {
        Self("loss-correlation", placeholder: "C",
             help: "Correlate each --loss decision with the previous one (netem loss P C): the loss rate "
                + "stays P, and a datagram after a lost one is lost with probability P + C·(1 − P)",
             parse: PercentValue.parse)
    }

    /// `--jitter-correlation P`: netem's `delay D J C`, keeping the jitter distribution.
    public static var jitterCorrelation: Self {
        Self("jitter-correlation", placeholder: "C",
             help: "Correlate each datagram's jitter with the previous one's (netem delay D J C): "
                + "lag-1 correlation C, the --jitter-distribution unchanged",
             parse: PercentValue.parse)
    }

    /// `--reorder P`: datagrams held back by the reorder gap.
    public static var reorder: Self {
        Self("reorder", placeholder: "P",
             help: "Hold a datagram back by the reorder gap with probability P, so later ones overtake it",
             parse: PercentValue.parse)
    }

    /// `--duplicate P`.
    public static var duplicate: Self {
        Self("duplicate", placeholder: "P", help: "Deliver a datagram twice with probability P", parse: PercentValue.parse)
    }

    /// `--corrupt P`: one bit flipped in the payload.
    public static var corrupt: Self {
        Self("corrupt", placeholder: "P", help: "Flip one random bit of a datagram's payload with probability P",
             parse: PercentValue.parse)
    }
}

extension ImpairmentFlag<DurationValue> {
    /// `--delay DUR`: one-way delay, at most the engine's hour.
    public static var delay: Self {
        Self("delay", placeholder: "DUR", help: "Add this one-way delay to every datagram, e.g. 10ms (a 20 ms round trip)",
             parse: boundedDuration(allowZero: true))
    }

    /// `--jitter DUR`.
    public static var jitter: Self {
        Self("jitter", placeholder: "DUR",
             help: "Vary the delay by up to ±DUR (uniform), with standard deviation DUR (normal), "
                + "or DUR times netem's pareto shapes; the delay never goes below 0",
             parse: boundedDuration(allowZero: true))
    }

    /// `--reorder-gap DUR`, longer than 0.
    public static var reorderGap: Self {
        Self("reorder-gap", placeholder: "DUR", help: "How long a reordered datagram is held back (default: 10ms)",
             parse: boundedDuration(allowZero: false))
    }

    /// A duration parser bounded by the engine's maximum (one hour).
    private static func boundedDuration(allowZero: Bool) -> (String) throws -> DurationValue {
        { text in
            let value = try DurationValue.parse(text)
            if !allowZero && value.nanoseconds == 0 {
                throw ValueError("'\(text)' must be longer than 0 (e.g. 10ms)")
            }
            guard value.nanoseconds <= ImpairmentConfig.maximumDuration else {
                throw ValueError("'\(text)' is longer than the maximum of 1h")
            }
            return value
        }
    }
}

extension ImpairmentFlag<RateValue> {
    /// `--rate RATE`: the bottleneck, tc style; 0 is allowed here, each program says what it means.
    public static var rate: Self {
        Self("rate", placeholder: "RATE",
             help: "Bottleneck rate, tc style: 800kbit, 10mbit, 1gbit (bits/s; IP and UDP headers count)",
             parse: RateValue.parse)
    }
}

extension ImpairmentFlag<JitterDistribution> {
    /// `--jitter-distribution uniform|normal|pareto|paretonormal`.
    public static var jitterDistribution: Self {
        Self("jitter-distribution", placeholder: JitterDistribution.allCases.map(\.rawValue).joined(separator: "|"),
             help: "Distribution of the jittered delay, netem's shapes: pareto has a long tail above "
                + "the delay (default: uniform)") { text in
            let name = try ValueParsers.choice(JitterDistribution.allCases.map(\.rawValue))(text)
            return JitterDistribution(rawValue: name)!
        }
    }
}

extension ImpairmentFlag<GilbertElliott> {
    /// `--loss-burst P:R[:LOSS_BAD[:LOSS_GOOD]]`.
    public static var lossBurst: Self {
        Self("loss-burst", placeholder: "P:R",
             help: "Gilbert-Elliott burst loss as netem gemodel: P good→bad, R bad→good "
                + "(percentages; mean burst 1/R, average loss P/(P+R)); optional :LOSS_BAD:LOSS_GOOD",
             parse: BurstLossValue.parse)
    }
}

extension ImpairmentFlag<Int> {
    /// Largest `--queue` accepted: beyond this the queue is a memory hazard, not an experiment.
    public static var maximumQueue: Int { 1_000_000 }

    /// `--queue PACKETS`: the bottleneck's queue limit.
    public static var queue: Self {
        Self("queue", placeholder: "PACKETS",
             help: "Datagrams that may wait for the --rate bottleneck before tail drop "
                + "(default: \(ImpairmentConfig.defaultQueueLimit))") { text in
            guard let count = Int(text.trimmingBlanks()), (0...maximumQueue).contains(count) else {
                throw ValueError("'\(text)' is not a number of datagrams between 0 and \(maximumQueue)")
            }
            return count
        }
    }
}

extension ImpairmentFlag<Int> {
    /// Largest `--rate-overhead` accepted, as the engine's limit.
    public static var maximumRateOverhead: Int { 65_536 }

    /// `--rate-overhead BYTES`: bytes the bottleneck adds to every datagram (netem `packetoverhead`).
    public static var rateOverhead: Self {
        Self("rate-overhead", placeholder: "BYTES",
             help: "Bytes added to each datagram's size on the --rate bottleneck, as netem packetoverhead "
                + "(default: the headers the proxy does not see: 28 for IPv4 + UDP, 48 for IPv6, on the relay; 0 on the link)") { text in
            guard let bytes = Int(text.trimmingBlanks()), (0...maximumRateOverhead).contains(bytes) else {
                throw ValueError("'\(text)' is not a number of bytes between 0 and \(maximumRateOverhead)")
            }
            return bytes
        }
    }
}

extension ImpairmentFlag<Int> {
    /// `--reorder-packet-gap N`: netem's `reorder P gap N`.
    public static var reorderPacketGap: Self {
        Self("reorder-packet-gap", placeholder: "N",
             help: "Reorder as netem's reorder P gap N instead: a datagram picked by --reorder is sent at once, "
                + "ahead of the delayed ones, if N-1 datagrams took the --delay since the last one sent ahead "
                + "(--reorder 100% --reorder-packet-gap 5: every 5th)") { text in
            let limit = ImpairmentConfig.maximumReorderPacketGap
            guard let count = Int(text.trimmingBlanks()), (1...limit).contains(count) else {
                throw ValueError("'\(text)' is not a number of datagrams between 1 and \(limit)")
            }
            return count
        }
    }
}

extension ImpairmentFlag<DeliverySlots> {
    /// `--slot MIN[:MAX]`: netem's slot.
    public static var slot: Self {
        Self("slot", placeholder: "MIN[:MAX]",
             help: "Deliver only at slot openings, in bursts, as netem slot: openings MIN to MAX apart "
                + "(uniform), e.g. 5ms:15ms; limit each burst with --slot-packets and --slot-bytes",
             parse: SlotValue.parse)
    }
}

extension ImpairmentFlag<Int> {
    /// `--slot-packets N` and `--slot-bytes B`: a slot's budget.
    private static func slotBudget(_ name: String, placeholder: String, unit: String, help: String) -> Self {
        Self(name, placeholder: placeholder, help: help) { text in
            let limit = 1_000_000_000
            guard let count = Int(text.trimmingBlanks()), (1...limit).contains(count) else {
                throw ValueError("'\(text)' is not a number of \(unit) between 1 and \(limit)")
            }
            return count
        }
    }

    /// `--slot-packets N`: datagrams one slot delivers at most.
    public static var slotPackets: Self {
        slotBudget("slot-packets", placeholder: "N", unit: "datagrams",
                   help: "Datagrams one --slot delivers at most (default: all that are due)")
    }

    /// `--slot-bytes B`: bytes one slot delivers at most.
    public static var slotBytes: Self {
        slotBudget("slot-bytes", placeholder: "BYTES", unit: "bytes",
                   help: "Bytes one --slot delivers at most; the datagram crossing the limit still goes (default: no limit)")
    }
}

extension ImpairmentFlag<[ClosedRange<Int>]> {
    /// `--drop LIST`: scripted drops.
    public static var drop: Self {
        Self("drop", placeholder: "LIST",
             help: "Drop exactly these datagrams of a direction, numbered from 1: e.g. 3,7,10-12", parse: DropList.parse)
    }
}
