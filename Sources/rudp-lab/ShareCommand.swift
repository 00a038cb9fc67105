import LabKit

/// `rudp-lab share`: everything lives in LabKit's `ShareCommandLine`, where it is tested.
enum ShareCommand: LabCommand {
    static let name = ShareCommandLine.name
    static let summary = ShareCommandLine.summary

    static func run(_ commandLine: [String]) throws {
        try ShareCommandLine.run(commandLine)
    }
}
