import CLIKit
import Impairment

/// The impairment flags shared by lossproxy's front-ends (the UDP relay now, the TUN link
/// later): declares them on a `CommandSpec` and builds the two directions' configurations.
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
        "loss", "loss-burst", "delay", "jitter", "jitter-distribution", "no-reorder-by-jitter",
        "reorder", "reorder-gap", "duplicate", "corrupt", "rate", "queue", "drop",
    ]

    /// The help sentence explaining the direction prefixes.
    public static let directionSentence = """
        Impairments apply to both directions (forward: client to server; reverse: server to \
        client); prefix any with forward- or reverse- to set one direction alone, e.g. \
        --reverse-loss 1%, which overrides --loss for that direction.
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

    /// Declares every impairment flag (and its `forward-`/`reverse-` variants) on `spec`, in a
    /// help section of their own, and adds the direction sentence to the help text. Declare the
    /// command's own options before, or start another `section` after: options declared next
    /// would be listed under the impairments.
    public init(declaringOn spec: inout CommandSpec) {
        program = spec.name
        spec.section("Impairments (per direction: --forward-NAME, --reverse-NAME)")
        spec.discussion += (spec.discussion.isEmpty ? "" : "\n\n") + Self.directionSentence

        declare("loss", placeholder: "P", on: &spec,
                help: "Drop each datagram with probability P (Bernoulli), e.g. 5 or 5%",
                parse: { try PercentValue.parse($0).fraction }) { $0.loss = $1 }
        declare("loss-burst", placeholder: "P:R", on: &spec,
                help: "Gilbert-Elliott burst loss as netem gemodel: P good→bad, R bad→good "
                    + "(percentages; mean burst 1/R, average loss P/(P+R)); optional :LOSS_BAD:LOSS_GOOD",
                parse: BurstLossValue.parse) { $0.burstLoss = $1 }
        declare("delay", placeholder: "DUR", on: &spec,
                help: "Add this one-way delay to every datagram, e.g. 10ms (a 20 ms round trip)",
                parse: Self.duration(allowZero: true)) { $0.delay = $1 }
        declare("jitter", placeholder: "DUR", on: &spec,
                help: "Vary the delay by up to ±DUR (uniform) or with standard deviation DUR (normal); "
                    + "the delay never goes below 0",
                parse: Self.duration(allowZero: true)) { $0.jitter = $1 }
        declare("jitter-distribution", placeholder: "uniform|normal", on: &spec,
                help: "Distribution of the jittered delay (default: uniform)",
                parse: { text in
                    let name = try ValueParsers.choice(JitterDistribution.allCases.map(\.rawValue))(text)
                    return JitterDistribution(rawValue: name)!
                }) { $0.jitterDistribution = $1 }
        declareFlag("no-reorder-by-jitter", on: &spec,
                    help: "Never let jitter release a datagram before an earlier one (delays bunch up instead)") {
            $0.reorderByJitter = false
        }
        declare("reorder", placeholder: "P", on: &spec,
                help: "Hold a datagram back by the reorder gap with probability P, so later ones overtake it",
                parse: { try PercentValue.parse($0).fraction }) { $0.reorder = $1 }
        declare("reorder-gap", placeholder: "DUR", on: &spec,
                help: "How long a reordered datagram is held back (default: 10ms)",
                parse: Self.duration(allowZero: false)) { $0.reorderGap = $1 }
        declare("duplicate", placeholder: "P", on: &spec,
                help: "Deliver a datagram twice with probability P",
                parse: { try PercentValue.parse($0).fraction }) { $0.duplicate = $1 }
        declare("corrupt", placeholder: "P", on: &spec,
                help: "Flip one random bit of a datagram's payload with probability P",
                parse: { try PercentValue.parse($0).fraction }) { $0.corrupt = $1 }
        declare("rate", placeholder: "RATE", on: &spec,
                help: "Bottleneck rate, tc style: 800kbit, 10mbit, 1gbit (bits/s; IP and UDP headers count)",
                parse: { text in
                    let rate = try RateValue.parse(text)
                    guard rate.bitsPerSecond > 0 else {
                        throw ValueError("'\(text)' is not a rate above 0; leave --rate out for an unlimited link")
                    }
                    return rate.bitsPerSecond
                }) { $0.rate = $1 }
        declare("queue", placeholder: "PACKETS", on: &spec,
                help: "Datagrams that may wait for the --rate bottleneck before tail drop "
                    + "(default: \(ImpairmentConfig.defaultQueueLimit))",
                parse: { text in
                    guard let count = Int(text.trimmingBlanks()), (0...Self.maximumQueue).contains(count) else {
                        throw ValueError("'\(text)' is not a number of datagrams between 0 and \(Self.maximumQueue)")
                    }
                    return count
                }) { $0.queueLimit = $1 }
        declare("drop", placeholder: "LIST", on: &spec,
                help: "Drop exactly these datagrams of a direction, numbered from 1: e.g. 3,7,10-12",
                parse: DropList.parse) { $0.scriptedDrops = $1 }
    }

    /// Largest `--queue` accepted: beyond this the queue is a memory hazard, not an experiment.
    public static let maximumQueue = 1_000_000

    /// The forward (client → server) and reverse configurations the command line asks for,
    /// validated. Throws `UsageError` for a combination that makes no sense.
    public func configurations(
        from arguments: ParsedArguments
    ) throws(UsageError) -> (forward: ImpairmentConfig, reverse: ImpairmentConfig) {
        var forward = ImpairmentConfig()
        var reverse = ImpairmentConfig()
        var givenForward: [String: String] = [:]
        var givenReverse: [String: String] = [:]
        for setting in settings {
            givenForward[setting.name] = setting.apply(arguments, .forward, &forward)
            givenReverse[setting.name] = setting.apply(arguments, .reverse, &reverse)
        }
        try check(forward, direction: .forward, given: givenForward)
        try check(reverse, direction: .reverse, given: givenReverse)
        return (forward, reverse)
    }

    /// Refuses settings that would silently do nothing, and runs the engine's own validation.
    /// `given` maps each flag name to the spelling that set it for this direction.
    private func check(
        _ config: ImpairmentConfig, direction: ImpairedLink.Direction, given: [String: String]
    ) throws(UsageError) {
        if let queue = given["queue"], config.rate == 0 {
            throw UsageError(
                program: program, message: "--\(queue) limits the queue of the --rate bottleneck; give "
                    + (queue == "queue" ? "--rate" : "--\(direction.rawValue)-rate or --rate") + " too",
                suggestsHelp: false)
        }
        if let gap = given["reorder-gap"], config.reorder == 0 {
            throw UsageError(
                program: program, message: "--\(gap) sets how long reordered datagrams are held back; give "
                    + (gap == "reorder-gap" ? "--reorder" : "--\(direction.rawValue)-reorder or --reorder") + " too",
                suggestsHelp: false)
        }
        do {
            try config.validate()
        } catch {
            let name = Self.flagName(forField: error.field)
            let flag = given[name] ?? name
            throw UsageError(program: program, message: "--\(flag): \(error.problem)", suggestsHelp: false)
        }
    }

    /// The flag that sets an `ImpairmentConfig` field, for messages.
    static func flagName(forField field: String) -> String {
        switch field {
        case "burstLoss.p", "burstLoss.r", "burstLoss.lossInBad", "burstLoss.lossInGood": "loss-burst"
        case "reorderGap": "reorder-gap"
        case "queueLimit": "queue"
        case "scriptedDrops": "drop"
        default: field
        }
    }

    /// A duration parser bounded by the engine's maximum (one hour).
    private static func duration(allowZero: Bool) -> (String) throws -> UInt64 {
        { text in
            let value = try DurationValue.parse(text).nanoseconds
            if !allowZero && value == 0 {
                throw ValueError("'\(text)' must be longer than 0 (e.g. 10ms)")
            }
            guard value <= ImpairmentConfig.maximumDuration else {
                throw ValueError("'\(text)' is longer than the maximum of 1h")
            }
            return value
        }
    }

    private mutating func declare<Value>(
        _ name: String, placeholder: String, on spec: inout CommandSpec, help: String,
        parse: @escaping (String) throws -> Value, set: @escaping (inout ImpairmentConfig, Value) -> Void
    ) {
        let both = spec.option(name, placeholder: placeholder, help: help, parse: parse)
        let forward = spec.option("forward-" + name, placeholder: placeholder, help: help, hidden: true, parse: parse)
        let reverse = spec.option("reverse-" + name, placeholder: placeholder, help: help, hidden: true, parse: parse)
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
