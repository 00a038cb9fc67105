import CLIKit

/// `rudp-lab report`: rebuilds results/README.md, the index of every experiment.
public enum ReportCommandLine {
    public static let name = "report"
    public static let summary = "Rebuild results/README.md, the index of every experiment in results/"

    /// Parses `commandLine` (starting with "rudp-lab report") and returns the results directory.
    public static func parse(_ commandLine: [String]) throws -> (directory: String, quiet: Bool) {
        var spec = CommandSpec(
            name: commandLine.first ?? "rudp-lab report", summary: summary,
            discussion: "Lists every subdirectory of DIR that holds a sweep's summary.json (or another experiment's "
                + "README.md) with its title, network, date, exact command and headline plot.",
            examples: [HelpExample("rudp-lab report", "after adding results/loss-sweep"),
                       HelpExample("rudp-lab report --results /tmp/my-results")])
        let results = spec.option("results", placeholder: "DIR", default: "results",
                                  help: "The directory holding one subdirectory per experiment", parse: ValueParsers.string)
        let quiet = spec.flag("quiet", short: "q", help: "Print nothing but errors")
        let arguments = try spec.parse(commandLine)
        return (arguments[results], arguments[quiet])
    }

    public static func run(_ commandLine: [String]) throws {
        let (directory, quiet) = try parse(commandLine)
        let (path, count) = try ResultsIndex.rebuild(directory)
        if !quiet { Console.out("wrote \(path): \(count) experiment\(count == 1 ? "" : "s")") }
    }
}
