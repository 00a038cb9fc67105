import CLIKit
import ProxyKit

// lossproxy: a network impairment tool. `lossproxy --listen … --to …` is the UDP relay;
// `lossproxy link …` is the TUN link between two network namespaces (LinkCommand).

runMain(name: "lossproxy") {
    if let linkCommandLine = CommandGroup.commandLine(
        forOptionalSubcommand: "link", program: "lossproxy", in: CommandLine.arguments)
    {
        let command = LinkCommand()
        try command.run(try command.parse(linkCommandLine))
        return
    }
    let command = RelayCommand()
    try command.run(try command.parse(CommandLine.arguments))
}
