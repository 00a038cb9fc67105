import CLIKit

// rudp-lab: experiments with the lab's programs. Each command is a `LabCommand` in its own file.

/// Every command, in help order; add new ones here.
let labCommands: [any LabCommand.Type] = [
    DemoCommand.self,
    SweepCommand.self,
    WhyUDPCommand.self,
    ShareCommand.self,
    PlotTraceCommand.self,
    AnimateCommand.self,
    ReportCommand.self,
    BenchSimulatorCommand.self,
]

/// Commands the lab runs itself (inside namespaces), accepted but not listed in the help.
let hiddenLabCommands: [any LabCommand.Type] = [WhyUDPPeerCommand.self, ShareProbeCommand.self]

let group = CommandGroup(
    name: "rudp-lab",
    summary: "Run experiments with rudp-send, rudp-recv and lossproxy, and write reports.",
    commands: labCommands.map { ($0.name, $0.summary) },
    examples: [
        HelpExample("rudp-lab demo", "a 5 MB transfer through a lossy proxy on loopback, watched live"),
        HelpExample("rudp-lab demo --protocol gbn --loss 20% --delay 25ms", "Go-Back-N under heavier loss"),
    ])

runMain(name: "rudp-lab") {
    let arguments = CommandLine.arguments
    if arguments.count > 1, let hidden = hiddenLabCommands.first(where: { $0.name == arguments[1] }) {
        return try hidden.run(["rudp-lab \(arguments[1])"] + arguments.dropFirst(2))
    }
    let (name, commandLine) = try group.select(arguments)
    guard let command = labCommands.first(where: { $0.name == name }) else {
        preconditionFailure("CommandGroup returned an unlisted command \(name)")
    }
    try command.run(commandLine)
}
