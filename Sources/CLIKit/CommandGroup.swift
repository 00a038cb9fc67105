/// A program made of subcommands (`rudp-lab sweep|why-udp|report|demo`): chooses the command and
/// answers top-level `--help`/`--version`; each command then parses its own `CommandSpec`.
///
///     let group = CommandGroup(name: "rudp-lab", summary: "…", commands: [("sweep", "…"), …])
///     let (command, commandLine) = try group.select(CommandLine.arguments)
///     switch command { case "sweep": try runSweep(commandLine) … }
///
/// The returned command line starts with `"rudp-lab sweep"`, the name to give that command's
/// `CommandSpec`, so its messages read `rudp-lab sweep: --loss: …`.
public struct CommandGroup {
    /// The program name.
    public let name: String
    /// One line saying what the program does.
    public var summary: String
    /// Further paragraphs for the help.
    public var discussion: String
    /// The commands and one line each.
    public var commands: [(name: String, summary: String)]
    /// Example invocations closing the help.
    public var examples: [HelpExample]

    public init(
        name: String, summary: String, discussion: String = "",
        commands: [(name: String, summary: String)], examples: [HelpExample] = []
    ) {
        self.name = name
        self.summary = summary
        self.discussion = discussion
        self.commands = commands
        self.examples = examples
    }

    /// Picks the command named by the first argument. `help COMMAND` means `COMMAND --help`.
    /// Throws `ProgramExit` for help/version and `UsageError` for a missing or unknown command.
    public func select(_ commandLine: [String]) throws -> (command: String, commandLine: [String]) {
        let arguments = Array(commandLine.dropFirst())
        let names = commands.map(\.name)
        guard let first = arguments.first else {
            throw UsageError(program: name, message: "missing command: one of \(names.joined(separator: ", "))")
        }
        switch first {
        case "--help", "-h":
            throw ProgramExit(code: ExitCode.success, output: helpText)
        case "help":
            if arguments.count > 1, names.contains(arguments[1]) {
                return (arguments[1], ["\(name) \(arguments[1])", "--help"])
            }
            throw ProgramExit(code: ExitCode.success, output: helpText)
        case "--version":
            throw ProgramExit(code: ExitCode.success, output: "\(name) \(RUDPLabVersion.current)")
        default:
            break
        }
        if names.contains(first) {
            return (first, ["\(name) \(first)"] + arguments.dropFirst())
        }
        if first.hasPrefix("-") {
            throw UsageError(
                program: name,
                message: "expected a command (\(names.joined(separator: ", "))) before '\(first)'")
        }
        var message = "unknown command '\(first)'"
        if let suggestion = closestName(to: first, among: names) {
            message += "; did you mean '\(suggestion)'?"
        }
        throw UsageError(program: name, message: message)
    }

    /// For a program whose subcommand is optional (`lossproxy` vs `lossproxy link`): the command
    /// line for the subcommand's spec when the first argument names it, otherwise nil.
    public static func commandLine(
        forOptionalSubcommand subcommand: String, program: String, in commandLine: [String]
    ) -> [String]? {
        guard commandLine.count > 1, commandLine[1] == subcommand else { return nil }
        return ["\(program) \(subcommand)"] + commandLine.dropFirst(2)
    }

    /// The top-level help: usage, description, the commands and examples.
    public var helpText: String {
        var layout = HelpLayout()
        layout.lines.append("Usage: \(name) COMMAND [options]")
        layout.blank()
        layout.paragraph(summary)
        if !discussion.isEmpty {
            layout.blank()
            layout.paragraph(discussion)
        }
        let options = [("-h, --help", "Show this help and exit"), ("    --version", "Show the version and exit")]
        let commandRows = commands.map { ($0.name, $0.summary) }
        layout.fit(commandRows.map(\.0) + options.map(\.0))
        layout.table("Commands", rows: commandRows)
        layout.table("Options", rows: options)
        layout.blank()
        layout.paragraph("Run '\(name) COMMAND --help' for the options of a command.")
        layout.examples(examples)
        return layout.text
    }
}
