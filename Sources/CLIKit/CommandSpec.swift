/// The declaration of one program's (or subcommand's) command line: options, flags, positionals,
/// help text and examples. Declare, then `parse(CommandLine.arguments)`, then read typed values.
///
///     var spec = CommandSpec(name: "rudp-send", summary: "Send one file over reliable UDP.")
///     let window = spec.option("window", short: "w", placeholder: "N", default: "64",
///                              help: "Packets in flight", parse: ValueParsers.integer(in: 1...65535))
///     let json = spec.flag("json", help: "Print one JSON object on stdout")
///     let file = spec.positional("FILE", help: "File to send, or - for stdin", parse: ValueParsers.string)
///     let arguments = try spec.parse(CommandLine.arguments)
///     let windowSize: Int = arguments[window]
///
/// Rules: `--name value` and `--name=value`; `-x value` for a short alias; `--` ends options;
/// `-` is a positional (stdin); options and positionals may be mixed; a repeated option keeps its
/// last value. `--help`/`-h` and `--version` are built in and win over any other mistake.
/// Every value is parsed during `parse`, so errors surface before the program does any work.
public struct CommandSpec {
    /// Program name as shown in messages, for a subcommand `"rudp-lab sweep"`.
    public let name: String
    /// One line saying what the command does.
    public var summary: String
    /// Further paragraphs for the help, after the summary (may be empty).
    public var discussion: String
    /// The usage line after `Usage: `; generated from the declarations when nil.
    public var usage: String?
    /// Subcommands listed in the help (their parsing is done by `CommandGroup` or the program).
    public var subcommands: [(name: String, summary: String)]
    /// Example invocations closing the help.
    public var examples: [HelpExample]

    var options: [OptionDeclaration] = []
    var positionals: [PositionalDeclaration] = []
    var currentSection: String? = nil
    var slotCount = 0

    public init(
        name: String, summary: String, discussion: String = "", usage: String? = nil,
        subcommands: [(name: String, summary: String)] = [], examples: [HelpExample] = []
    ) {
        self.name = name
        self.summary = summary
        self.discussion = discussion
        self.usage = usage
        self.subcommands = subcommands
        self.examples = examples
    }

    /// Starts a titled group in the help; options declared afterwards are listed under it.
    public mutating func section(_ title: String) {
        currentSection = title
    }

    /// An option that may be absent: reading it gives nil then.
    ///
    /// - Parameters:
    ///   - long: the name without dashes (`"window"` for `--window`).
    ///   - short: an optional one-letter alias (`"w"` for `-w`); `h` is reserved for help.
    ///   - placeholder: how the value is named in the help (`N`, `DUR`, `ADDR`).
    ///   - defaultHelp: what happens when absent, shown as `(default: …)`; nil shows nothing.
    ///   - hidden: accepted but not listed (aliases and per-direction variants explained elsewhere).
    ///   - parse: turns the text into a value or throws (`DurationValue.parse`, …).
    public mutating func option<Value>(
        _ long: String, short: Character? = nil, placeholder: String, defaultHelp: String? = nil,
        help: String, hidden: Bool = false, parse: @escaping (String) throws -> Value
    ) -> OptionKey<Value?> {
        declareOption(
            long, short: short, placeholder: placeholder, help: help, hidden: hidden,
            absence: .absentValue(Value?.none as Any), defaultHelp: defaultHelp,
            parse: { try parse($0) as Value? })
    }

    /// An option with a default, given as the text a user would type (`"64"`, `"10ms"`), parsed
    /// by the same `parse`; the help shows it as `(default: 64)`. Reading it never gives nil.
    public mutating func option<Value>(
        _ long: String, short: Character? = nil, placeholder: String, default defaultText: String,
        help: String, hidden: Bool = false, parse: @escaping (String) throws -> Value
    ) -> OptionKey<Value> {
        declareOption(
            long, short: short, placeholder: placeholder, help: help, hidden: hidden,
            absence: .defaultText(defaultText), defaultHelp: defaultText, parse: parse)
    }

    /// An option the command cannot run without (lossproxy's `--to`); absence is a usage error.
    public mutating func requiredOption<Value>(
        _ long: String, short: Character? = nil, placeholder: String, help: String,
        parse: @escaping (String) throws -> Value
    ) -> OptionKey<Value> {
        declareOption(
            long, short: short, placeholder: placeholder, help: help + " (required)", hidden: false,
            absence: .required, defaultHelp: nil, parse: parse)
    }

    /// A boolean switch such as `--json`; true when given (it takes no value).
    public mutating func flag(
        _ long: String, short: Character? = nil, help: String, hidden: Bool = false
    ) -> FlagKey {
        checkNewName(long, short: short)
        let slot = nextSlot()
        options.append(
            OptionDeclaration(
                long: long, short: short, placeholder: nil, help: help, hidden: hidden,
                section: currentSection, defaultHelp: nil, absence: .absentValue(false), slot: slot,
                parse: nil))
        return FlagKey(slot: slot, long: long)
    }

    /// A positional argument that must be given (`FILE`, `ADDR`), in declaration order.
    public mutating func positional<Value>(
        _ name: String, help: String, parse: @escaping (String) throws -> Value
    ) -> OptionKey<Value> {
        precondition(
            positionals.allSatisfy { !$0.isOptional },
            "\(self.name): required positional \(name) declared after an optional one")
        let slot = nextSlot()
        positionals.append(
            PositionalDeclaration(
                name: name, help: help, isOptional: false, absentValue: (), slot: slot,
                parse: parse))
        return OptionKey(slot: slot, label: name)
    }

    /// A trailing positional argument that may be left out; reading it gives nil then.
    public mutating func optionalPositional<Value>(
        _ name: String, help: String, parse: @escaping (String) throws -> Value
    ) -> OptionKey<Value?> {
        let slot = nextSlot()
        positionals.append(
            PositionalDeclaration(
                name: name, help: help, isOptional: true, absentValue: Value?.none as Any, slot: slot,
                parse: { try parse($0) as Value? as Any }))
        return OptionKey(slot: slot, label: name)
    }

    private mutating func declareOption<Value>(
        _ long: String, short: Character?, placeholder: String, help: String, hidden: Bool,
        absence: OptionDeclaration.Absence, defaultHelp: String?,
        parse: @escaping (String) throws -> Value
    ) -> OptionKey<Value> {
        checkNewName(long, short: short)
        let slot = nextSlot()
        options.append(
            OptionDeclaration(
                long: long, short: short, placeholder: placeholder, help: help, hidden: hidden,
                section: currentSection, defaultHelp: defaultHelp, absence: absence, slot: slot,
                parse: { try parse($0) }))
        return OptionKey(slot: slot, label: "--" + long)
    }

    private mutating func nextSlot() -> Int {
        defer { slotCount += 1 }
        return slotCount
    }

    // Declaring the same name twice is a programming mistake, caught the first time the program runs.
    private func checkNewName(_ long: String, short: Character?) {
        precondition(!long.hasPrefix("-") && !long.isEmpty, "\(name): option name '\(long)' must not start with '-'")
        precondition(!["help", "version"].contains(long), "\(name): --\(long) is built in")
        precondition(!options.contains { $0.long == long }, "\(name): --\(long) declared twice")
        if let short {
            precondition(short != "h", "\(name): -h is reserved for --help")
            precondition(!options.contains { $0.short == short }, "\(name): -\(short) declared twice")
        }
    }
}

/// A typed handle to a declared option or positional; subscript `ParsedArguments` with it.
public struct OptionKey<Value> {
    let slot: Int
    /// `--window` or `FILE`, for messages.
    public let label: String
}

/// A handle to a declared flag; `ParsedArguments[flag]` is true when it was given.
public struct FlagKey {
    let slot: Int
    /// The flag's long name without dashes.
    public let long: String
}

/// One example for the help's closing section: a command line and, optionally, what it shows.
public struct HelpExample: Sendable {
    /// The full command line, starting with the program name.
    public let command: String
    /// What the example does, printed as a `#` comment above it.
    public let explanation: String?

    public init(_ command: String, _ explanation: String? = nil) {
        self.command = command
        self.explanation = explanation
    }
}

struct OptionDeclaration {
    enum Absence {
        /// Absent reads as this value (nil of the right type, or false for flags).
        case absentValue(Any)
        /// Absent parses this text as if the user had typed it.
        case defaultText(String)
        case required
    }

    let long: String
    let short: Character?
    /// nil for flags, which take no value.
    let placeholder: String?
    let help: String
    let hidden: Bool
    let section: String?
    let defaultHelp: String?
    let absence: Absence
    let slot: Int
    let parse: ((String) throws -> Any)?

    var isFlag: Bool { placeholder == nil }
}

struct PositionalDeclaration {
    let name: String
    let help: String
    let isOptional: Bool
    /// What reading an omitted optional positional gives (nil of the right type).
    let absentValue: Any
    let slot: Int
    let parse: (String) throws -> Any
}
