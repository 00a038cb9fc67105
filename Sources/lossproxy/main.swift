import CLIKit
import ProxyKit

// lossproxy: a network impairment tool. `lossproxy --listen … --to …` is the UDP relay;
// `lossproxy link …` will be the TUN link between two network namespaces.

runMain(name: "lossproxy") {
    if let linkCommandLine = CommandGroup.commandLine(
        forOptionalSubcommand: "link", program: "lossproxy", in: CommandLine.arguments)
    {
        if linkCommandLine.dropFirst().contains(where: { $0 == "--help" || $0 == "-h" || $0 == "--version" }) {
            // Help still describes the relay and the link's place in the usage line.
            _ = try RelayCommand().parse(["lossproxy", linkCommandLine.contains("--version") ? "--version" : "--help"])
        }
        throw RuntimeFailure(
            "the TUN link mode (lossproxy link) is not implemented in this build yet; "
                + "use the UDP relay: lossproxy --listen ADDR --to ADDR [IMPAIRMENTS]")
    }
    let command = RelayCommand()
    try command.run(try command.parse(CommandLine.arguments))
}
