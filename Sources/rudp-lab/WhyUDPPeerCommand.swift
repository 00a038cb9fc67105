import CLIKit
import LabKit

/// `rudp-lab why-udp-peer ROLE …`: one end of `why-udp --network link`, run by the lab inside a
/// network namespace; not listed in the help. Roles and output are `WhyUDPPeerInterface`'s.
enum WhyUDPPeerCommand: LabCommand {
    static let name = WhyUDPPeerInterface.command
    static let summary = "(internal) one end of why-udp --network link"

    static func run(_ commandLine: [String]) throws {
        let program = commandLine.first ?? "rudp-lab \(name)"
        let roles = WhyUDPPeerInterface.Role.allCases.map(\.rawValue).joined(separator: ", ")
        guard commandLine.count > 1 else {
            throw UsageError(program: program, message: "missing role: one of \(roles)", suggestsHelp: false)
        }
        guard let role = WhyUDPPeerInterface.Role(rawValue: commandLine[1]) else {
            throw UsageError(program: program, message: "unknown role '\(commandLine[1])': one of \(roles)", suggestsHelp: false)
        }
        let roleCommandLine = ["\(program) \(role.rawValue)"] + commandLine.dropFirst(2)
        switch role {
        case .sink: try WhyUDPPeerSink.run(roleCommandLine)
        case .source: try WhyUDPPeerSource.run(roleCommandLine)
        case .echo: try WhyUDPPeerEcho.run(roleCommandLine)
        case .ask: try WhyUDPPeerAsk.run(roleCommandLine)
        }
    }
}
