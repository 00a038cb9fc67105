import LabKit

/// `rudp-lab report`: rebuilds results/README.md through LabKit's `ReportCommandLine`.
enum ReportCommand: LabCommand {
    static let name = ReportCommandLine.name
    static let summary = ReportCommandLine.summary

    static func run(_ commandLine: [String]) throws {
        try ReportCommandLine.run(commandLine)
    }
}
