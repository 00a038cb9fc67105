import LabKit

/// `rudp-lab sweep`: everything lives in LabKit's `SweepCommandLine`, where it is tested.
enum SweepCommand: LabCommand {
    static let name = SweepCommandLine.name
    static let summary = SweepCommandLine.summary

    static func run(_ commandLine: [String]) throws {
        try SweepCommandLine.run(commandLine)
    }
}
