import LabKit

/// `rudp-lab plot-trace`: the time-sequence graph of a trace file, through LabKit's `TracePlotCommandLine`.
enum PlotTraceCommand: LabCommand {
    static let name = TracePlotCommandLine.name
    static let summary = TracePlotCommandLine.summary

    static func run(_ commandLine: [String]) throws {
        try TracePlotCommandLine.run(commandLine)
    }
}
