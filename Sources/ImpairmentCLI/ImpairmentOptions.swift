import CLIKit
import Impairment

/// lossproxy's full impairment flag set, shared by its two front-ends (the UDP relay and the TUN
/// link): declares every `ImpairmentFlag` on a `CommandSpec`, with its direction variants, and
/// builds the two directions' configurations.
///
///     var spec = CommandSpec(name: "lossproxy", summary: "…")
///     let impairments = ImpairmentOptions(declaringOn: &spec)
///     let arguments = try spec.parse(CommandLine.arguments)
///     let (forward, reverse) = try impairments.configurations(from: arguments)
///
/// Every flag applies to both directions; the same flag prefixed with `forward-` or `reverse-`
/// (hidden in the help, explained in one sentence) sets that direction alone and overrides the
/// unprefixed one there. Impossible values are usage errors naming the flag and what is allowed.
public struct ImpairmentOptions {
    /// The names of the flags as written without a direction prefix, in help order.
    public static let flagNames = [
        "loss", "loss-correlation", "loss-burst", "delay", "jitter", "jitter-distribution", "jitter-correlation",
        "no-reorder-by-jitter",
        "reorder", "reorder-gap", "reorder-packet-gap", "duplicate", "corrupt", "rate", "rate-overhead", "queue", "slot", "slot-packets", "slot-bytes", "drop",
    ]

    /// The help sentence explaining the direction prefixes.
    public static let directionSentence = """
        Impairments apply to both directions (forward: client to server; reverse: server to \
        client); prefix any with forward- or reverse- to set one direction alone, e.g. \
        --reverse-loss 1%, which overrides --loss for that direction. --queue, --rate-overhead, \
        --reorder-gap and the correlations apply where --rate, --reorder, --loss and --jitter are \
        set (--forward-rate 1mbit --queue 10).
        """

    /// How one flag, in its three spellings, lands in a direction's configuration.
    private struct Setting {
        /// The flag's name without prefix.
        let name: String
        /// Applies the value given for `direction` (or for both) to `config`; returns the
        /// spelling that was applied (`queue` or `forward-queue`), nil if neither was given.
        let apply: (ParsedArguments, ImpairedLink.Direction, inout ImpairmentConfig) -> String?
    }

    private let program: String
    private var settings: [Setting] = []

    /// Every flag name a schedule line may use: the names and their direction variants.
    static var lineFlagNames: Set<String> {
        Set(flagNames.flatMap { [$0, "forward-" + $0, "reverse-" + $0] })
    }

    /// Declares every impairment flag (and its `forward-`/`reverse-` variants) on `spec`, in a
    /// help section of their own, and adds the direction sentence to the help text. Declare the
    /// command's own options before, or start another `section` after: options declared next
    /// would be listed under the impairments.
    public init(declaringOn spec: inout CommandSpec) {
        program = spec.name
        spec.section("Impairments (per direction: --forward-NAME, --reverse-NAME)")
        spec.discussion += (spec.discussion.isEmpty ? "" : "\n\n") + Self.directionSentence

        declare(.loss, on: &spec) { $0.loss = $1.fraction }
        declare(.lossCorrelation, on: &spec) { $0.lossCorrelation = $1.fraction }
        declare(.lossBurst, on: &spec) { $0.burstLoss = $1 }
        declare(.delay, on: &spec) { $0.delay = $1.nanoseconds }
        declare(.jitter, on: &spec) { $0.jitter = $1.nanoseconds }
        declare(.jitterDistribution, on: &spec) { $0.jitterDistribution = $1 }
        declare(.jitterCorrelation, on: &spec) { $0.jitterCorrelation = $1.fraction }
        declareFlag("no-reorder-by-jitter", on: &spec,
                    help: "Never let jitter release a datagram before an earlier one (delays bunch up instead)") {
            $0.reorderByJitter = false
        }
        declare(.reorder, on: &spec) { $0.reorder = $1.fraction }
        declare(.reorderGap, on: &spec) { $0.reorderGap = $1.nanoseconds }
        declare(.reorderPacketGap, on: &spec) { $0.reorderPacketGap = $1 }
        declare(.duplicate, on: &spec) { $0.duplicate = $1.fraction }
        declare(.corrupt, on: &spec) { $0.corrupt = $1.fraction }
        declare(Self.positiveRate, on: &spec) { $0.rate = $1 }
        declare(.rateOverhead, on: &spec) { $0.rateOverhead = $1 }
        declare(.queue, on: &spec) { $0.queueLimit = $1 }
        declare(.slot, on: &spec) { $0.slots = $1 }
        // After --slot, so that the budgets land in the slots it set.
        declare(.slotPackets, on: &spec) { $0.slots?.maxPackets = $1 }
        declare(.slotBytes, on: &spec) { $0.slots?.maxBytes = $1 }
        declare(.drop, on: &spec) { $0.scriptedDrops = $1 }
        scheduleOption = spec.option(
            "schedule", placeholder: "FILE",
            help: "Change the impairments over time: lines like '10s loss 20% delay 50ms' (time since start, "
                + "then these flags without dashes, over the ones given here); SIGHUP rereads the file") { $0 }
    }

    private var scheduleOption: OptionKey<String?>?

    /// The `--schedule FILE` given, read and checked against the command line's configurations
    /// (`base`); nil without the flag. Throws `UsageError` naming the file and line at fault.
    public func schedule(
        from arguments: ParsedArguments, base: (forward: ImpairmentConfig, reverse: ImpairmentConfig)
    ) throws(UsageError) -> ImpairmentScheduleFile? {
        guard let key = scheduleOption, let path = arguments[key] else { return nil }
        return try ImpairmentScheduleFile(path: path, program: program, baseForward: base.forward, baseReverse: base.reverse)
    }

    /// `--rate` as the proxy takes it: leaving the flag out is the unlimited link, so 0 is refused.
    static var positiveRate: ImpairmentFlag<UInt64> {
        ImpairmentFlag.rate.map { text, rate in
            guard rate.bitsPerSecond > 0 else {
                throw ValueError("'\(text)' is not a rate above 0; leave --rate out for an unlimited link")
            }
            return rate.bitsPerSecond
        }
    }

    /// Largest `--queue` accepted: beyond this the queue is a memory hazard, not an experiment.
    public static let maximumQueue = ImpairmentFlag<Int>.maximumQueue

    /// The forward (client → server) and reverse configurations the command line asks for,
    /// validated. `defaultRateOverhead` is the per-datagram overhead where `--rate-overhead` is
    /// not given (the relay's 28 bytes of IPv4 + UDP headers). Throws `UsageError` for a
    /// combination that makes no sense.
    public func configurations(
        from arguments: ParsedArguments, defaultRateOverhead: Int = 0
    ) throws(UsageError) -> (forward: ImpairmentConfig, reverse: ImpairmentConfig) {
        var base = ImpairmentConfig()
        base.rateOverhead = defaultRateOverhead
        return try configurations(from: arguments, over: (base, base))
    }

    /// The configurations the flags in `arguments` make of `base` (each flag replaces its field,
    /// the rest stays), validated: how a schedule line changes the command line's impairments.
    public func configurations(
        from arguments: ParsedArguments, over base: (forward: ImpairmentConfig, reverse: ImpairmentConfig)
    ) throws(UsageError) -> (forward: ImpairmentConfig, reverse: ImpairmentConfig) {
        var (forward, reverse) = base
        var givenForward: [String: String] = [:]
        var givenReverse: [String: String] = [:]
        for setting in settings {
            givenForward[setting.name] = setting.apply(arguments, .forward, &forward)
            givenReverse[setting.name] = setting.apply(arguments, .reverse, &reverse)
        }
        try check(forward, direction: .forward, given: givenForward, other: reverse)
        try check(reverse, direction: .reverse, given: givenReverse, other: forward)
        return (forward, reverse)
    }

    /// Refuses settings that would silently do nothing, and runs the engine's own validation.
    /// `given` maps each flag name to the spelling that set it for this direction; `other` is
    /// the other direction. A modifier given for both directions (`--queue`, `--reorder-gap`)
    /// needs its base in one of them only: `--forward-rate 1mbit --queue 10` is the forward
    /// bottleneck with a 10-datagram queue, and the queue is moot where there is no bottleneck.
    private func check(
        _ config: ImpairmentConfig, direction: ImpairedLink.Direction, given: [String: String],
        other: ImpairmentConfig
    ) throws(UsageError) {
        for modifier in Self.modifiers {
            guard let spelling = given[modifier.name], !modifier.hasBase(config),
                  spelling != modifier.name || !modifier.hasBase(other) else { continue }
            let base = spelling == modifier.name
                ? "--\(modifier.base)" : "--\(direction.rawValue)-\(modifier.base) or --\(modifier.base)"
            throw UsageError(program: program, message: "--\(spelling) \(modifier.effect); give \(base) too",
                             suggestsHelp: false)
        }
        if let gap = given["reorder-gap"], let packetGap = given["reorder-packet-gap"] {
            throw UsageError(program: program, message: "--\(gap) (hold back by a time) and --\(packetGap) "
                                + "(send ahead, netem style) are two ways to reorder; give one", suggestsHelp: false)
        }
        do {
            try config.validate()
        } catch {
            let name = Self.flagName(forField: error.field)
            let flag = given[name] ?? name
            throw UsageError(program: program, message: "--\(flag): \(error.problem)", suggestsHelp: false)
        }
    }

    /// A flag that only refines another one (`--queue` refines `--rate`): given without its base
    /// it would silently do nothing, so it is refused.
    private struct Modifier: Sendable {
        /// The modifier's name without prefix.
        let name: String
        /// The flag it refines.
        let base: String
        /// What it does, completing "--NAME …" in the refusal.
        let effect: String
        /// Whether a configuration has the base set.
        let hasBase: @Sendable (ImpairmentConfig) -> Bool
    }

    private static let modifiers = [
        Modifier(name: "queue", base: "rate", effect: "limits the queue of the --rate bottleneck") { $0.rate > 0 },
        Modifier(name: "rate-overhead", base: "rate",
                 effect: "adds bytes to each datagram on the --rate bottleneck") { $0.rate > 0 },
        Modifier(name: "slot-packets", base: "slot", effect: "limits the bursts of --slot") { $0.slots != nil },
        Modifier(name: "slot-bytes", base: "slot", effect: "limits the bursts of --slot") { $0.slots != nil },
        Modifier(name: "loss-correlation", base: "loss",
                 effect: "correlates the decisions of --loss") { $0.loss > 0 },
        Modifier(name: "jitter-correlation", base: "jitter",
                 effect: "correlates the samples of --jitter") { $0.jitter > 0 },
        Modifier(name: "reorder-gap", base: "reorder",
                 effect: "sets how long reordered datagrams are held back") { $0.reorder > 0 },
        Modifier(name: "reorder-packet-gap", base: "reorder",
                 effect: "spaces the datagrams --reorder sends ahead") { $0.reorder > 0 },
        Modifier(name: "reorder-packet-gap", base: "delay",
                 effect: "sends reordered datagrams ahead of the delayed ones") { $0.delay > 0 || $0.jitter > 0 },
    ]

    /// The flag that sets an `ImpairmentConfig` field, for messages.
    static func flagName(forField field: String) -> String {
        switch field {
        case "burstLoss.p", "burstLoss.r", "burstLoss.lossInBad", "burstLoss.lossInGood": "loss-burst"
        case "reorderGap": "reorder-gap"
        case "reorderPacketGap": "reorder-packet-gap"
        case "slots", "slots.maxInterval": "slot"
        case "queueLimit": "queue"
        case "rateOverhead": "rate-overhead"
        case "lossCorrelation": "loss-correlation"
        case "jitterCorrelation": "jitter-correlation"
        case "scriptedDrops": "drop"
        default: field
        }
    }

    private mutating func declare<Value>(
        _ flag: ImpairmentFlag<Value>, on spec: inout CommandSpec, set: @escaping (inout ImpairmentConfig, Value) -> Void
    ) {
        let name = flag.name
        let both = spec.option(flag)
        let forward = spec.option(flag.renamed("forward-" + name), hidden: true)
        let reverse = spec.option(flag.renamed("reverse-" + name), hidden: true)
        settings.append(Setting(name: name) { arguments, direction, config in
            if let value = arguments[direction == .forward ? forward : reverse] {
                set(&config, value)
                return direction.rawValue + "-" + name
            }
            guard let value = arguments[both] else { return nil }
            set(&config, value)
            return name
        })
    }

    private mutating func declareFlag(
        _ name: String, on spec: inout CommandSpec, help: String, set: @escaping (inout ImpairmentConfig) -> Void
    ) {
        let both = spec.flag(name, help: help)
        let forward = spec.flag("forward-" + name, help: help, hidden: true)
        let reverse = spec.flag("reverse-" + name, help: help, hidden: true)
        settings.append(Setting(name: name) { arguments, direction, config in
            if arguments[direction == .forward ? forward : reverse] {
                set(&config)
                return direction.rawValue + "-" + name
            }
            guard arguments[both] else { return nil }
            set(&config)
            return name
        })
    }
}
