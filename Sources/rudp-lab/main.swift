import CLIKit

// rudp-lab: experiments with the lab's programs. Each command is a `LabCommand` in its own file.

/// Every command, in help order; add new ones here.
let labCommands: [any LabCommand.Type] = [
    DemoCommand.self,
    SweepCommand.self,
    ReportCommand.self,
    BenchSimulatorCommand.self,
]

let group = CommandGroup(
    name: "rudp-lab",
    summary: "Run experiments with rudp-send, rudp-recv and lossproxy, and write reports.",
    commands: labCommands.map { ($0.name, $0.summary) },
    examples: [
        HelpExample("rudp-lab demo", "a 5 MB transfer through a lossy proxy on loopback, watched live"),
        HelpExample("rudp-lab demo --protocol gbn --loss 20% --delay 25ms", "Go-Back-N under heavier loss"),
    ])

runMain(name: "rudp-lab") {
    let (name, commandLine) = try group.select(CommandLine.arguments)
    guard let command = labCommands.first(where: { $0.name == name }) else {
        preconditionFailure("CommandGroup returned an unlisted command \(name)")
    }
    try command.run(commandLine)
}
