/// One `rudp-lab` subcommand. Each lives in its own file and is listed in `main.swift`'s
/// `labCommands`, which is all it takes to add one.
protocol LabCommand {
    /// The word that selects it: `demo`, `sweep`, …
    static var name: String { get }
    /// One line for the top-level help.
    static var summary: String { get }
    /// Parses `commandLine` (it starts with `"rudp-lab NAME"`, the name for its `CommandSpec`)
    /// and runs; throws `UsageError`, `ProgramExit` or a failure as `runMain` expects.
    static func run(_ commandLine: [String]) throws
}
