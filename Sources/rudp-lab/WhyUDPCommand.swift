import LabKit

/// `rudp-lab why-udp`: everything lives in LabKit's `WhyUDPCommandLine`, where it is tested.
enum WhyUDPCommand: LabCommand {
    static let name = WhyUDPCommandLine.name
    static let summary = WhyUDPCommandLine.summary

    static func run(_ commandLine: [String]) throws {
        try WhyUDPCommandLine.run(commandLine)
    }
}
