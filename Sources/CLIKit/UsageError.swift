/// A command-line mistake; its description is the single line printed on stderr before exit 2.
public struct UsageError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The program (or `program subcommand`) whose command line was wrong.
    public let program: String
    /// What was wrong, without the program prefix.
    public let message: String
    /// Whether to point the user at `--help`; off when the message already says how to fix it.
    public let suggestsHelp: Bool

    public init(program: String, message: String, suggestsHelp: Bool = true) {
        self.program = program
        self.message = message
        self.suggestsHelp = suggestsHelp
    }

    /// `rudp-send: unknown option '--foo' (see 'rudp-send --help')`.
    public var description: String {
        suggestsHelp
            ? "\(program): \(message) (see '\(program) --help')"
            : "\(program): \(message)"
    }
}
