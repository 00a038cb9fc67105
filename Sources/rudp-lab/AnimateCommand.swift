import LabKit

/// `rudp-lab animate`: an HTML animation of a transfer, through LabKit's `AnimateCommandLine`.
enum AnimateCommand: LabCommand {
    static let name = AnimateCommandLine.name
    static let summary = AnimateCommandLine.summary

    static func run(_ commandLine: [String]) throws {
        try AnimateCommandLine.run(commandLine)
    }
}
