import CLIKit
import SystemKit

/// The "Run and output" options both lossproxy modes share: --seed, --stats, --pcap, --json, --quiet.
struct RunOutputOptions {
    private let seedOption: OptionKey<UInt64?>
    private let statsOption: OptionKey<UInt64?>
    private let jsonFlag: FlagKey
    private let quietFlag: FlagKey
    private let pcapOption: OptionKey<String?>

    /// Declares the section on `spec` with the command's own options of it, which `ownOptions`
    /// declares (listed after `--stats`), and returns both; `jsonHelp` says what `--json` prints.
    static func declare<Own>(
        on spec: inout CommandSpec, jsonHelp: String, ownOptions: (inout CommandSpec) -> Own
    ) -> (options: Self, own: Own) {
        spec.section("Run and output")
        let seed = spec.option(
            "seed", placeholder: "N", defaultHelp: "random, printed at start",
            help: "Seed of every random decision: the same seed and traffic give the same decisions",
            parse: ValueParsers.unsignedInteger)
        let stats = spec.option(
            "stats", placeholder: "DUR", defaultHelp: "only at exit",
            help: "Print statistics every DUR, e.g. 1s", parse: positiveDuration)
        let own = ownOptions(&spec)
        let pcap = spec.option(
            "pcap", placeholder: "FILE", defaultHelp: "none",
            help: "Write every datagram, before and after impairment, to a pcapng file, each with a comment saying what was done to it (docs/CAPTURE.md)",
            parse: ValueParsers.string)
        let json = spec.flag("json", help: jsonHelp)
        let quiet = spec.flag("quiet", short: "q", help: "Print nothing on stderr but errors")
        return (Self(seedOption: seed, statsOption: stats, jsonFlag: json, quietFlag: quiet, pcapOption: pcap), own)
    }

    /// The invocation of the configuration that `configuration` builds from the seed (drawn at
    /// random when `--seed` is absent) and the statistics interval.
    func invocation<Configuration>(
        from arguments: ParsedArguments,
        configuration: (_ seed: UInt64, _ statisticsInterval: UInt64?) throws -> Configuration
    ) rethrows -> ProxyInvocation<Configuration> {
        let seed = arguments[seedOption]
        return ProxyInvocation(
            configuration: try configuration(seed ?? UInt64(SystemRandom.uint32()), arguments[statsOption]),
            seedWasRandom: seed == nil, json: arguments[jsonFlag], quiet: arguments[quietFlag],
            capturePath: arguments[pcapOption])
    }

    /// `seed 42`, or for a random seed `seed 42 (random; --seed 42 repeats this run's decisions)`.
    static func seedText(_ seed: UInt64, wasRandom: Bool) -> String {
        "seed \(seed)" + (wasRandom ? " (random; --seed \(seed) repeats this run's decisions)" : "")
    }

    /// A duration of at least 1 ms, in nanoseconds (`--stats`, the relay's `--client-timeout`).
    static func positiveDuration(_ text: String) throws -> UInt64 {
        let value = try DurationValue.parse(text).nanoseconds
        guard value >= 1_000_000 else { throw ValueError("'\(text)' is below the minimum of 1ms") }
        return value
    }
}
