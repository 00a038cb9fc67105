import CLIKit
import Impairment
import SystemKit
import Testing

@testable import ProxyKit

/// lossproxy's command line: addresses, the seed, statistics, and the start-up line.
@Suite struct RelayCommandTests {
    private let command = RelayCommand()

    private func invocation(_ arguments: [String]) throws -> RelayCommand.Invocation {
        try command.parse(["lossproxy"] + arguments)
    }

    @Test func theMinimalCommandLineRelaysWithoutImpairment() throws {
        let run = try invocation(["--listen", "127.0.0.1:0", "--to", "127.0.0.1:9000"])
        #expect(run.configuration.listenAddress == SocketAddress.loopback(.ipv4, port: 0))
        #expect(run.configuration.serverAddress == SocketAddress.loopback(.ipv4, port: 9000))
        #expect(run.configuration.forward.isIdentity && run.configuration.reverse.isIdentity)
        #expect(run.seedWasRandom)
        #expect(run.configuration.statisticsInterval == nil)
        #expect(run.configuration.clientIdleTimeout == 60_000_000_000)
        #expect(!run.json && !run.quiet)
    }

    @Test func optionsReachTheConfiguration() throws {
        let run = try invocation(["-l", ":9001", "-t", "[::1]:9000", "--seed", "42", "--stats", "1s", "--client-timeout", "5s",
                                  "--json", "--quiet", "--rate", "10mbit", "--reverse-loss", "3%"])
        #expect(run.configuration.seed == 42 && !run.seedWasRandom)
        #expect(run.configuration.statisticsInterval == 1_000_000_000)
        #expect(run.configuration.clientIdleTimeout == 5_000_000_000)
        #expect(run.json && run.quiet)
        #expect(run.configuration.listenAddress.port == 9001 && run.configuration.listenAddress.isWildcard)
        #expect(run.configuration.forward.loss == 0 && run.configuration.reverse.loss == 0.03)
        // The bottleneck counts the IPv6 and UDP headers the relay does not see.
        #expect(run.configuration.forward.rateOverhead == 48)
        let ipv4 = try invocation(["--listen", ":9001", "--to", "127.0.0.1:9000", "--rate", "1mbit"])
        #expect(ipv4.configuration.reverse.rateOverhead == 28)
    }

    @Test(arguments: [
        (["--to", "127.0.0.1:9000"], "lossproxy: missing required option --listen ADDR (see 'lossproxy --help')"),
        (["--listen", ":9001"], "lossproxy: missing required option --to ADDR (see 'lossproxy --help')"),
        (["--listen", ":9001", "--to", "127.0.0.1:0"],
         "lossproxy: --to: port 0 in '127.0.0.1:0' is only valid for listening; give the port the receiver listens on (see 'lossproxy --help')"),
        (["--listen", "nowhere", "--to", "127.0.0.1:9000"],
         "lossproxy: --listen: 'nowhere' is not HOST:PORT, [IPv6]:PORT or :PORT (see 'lossproxy --help')"),
        (["--listen", ":9000", "--to", "127.0.0.1:9000"], "lossproxy: --to 127.0.0.1:9000 is the proxy's own --listen address"),
        (["--listen", ":9001", "--to", "127.0.0.1:9000", "--stats", "0"], "lossproxy: --stats: '0' is below the minimum of 1ms"),
        (["--listen", ":9001", "--to", "127.0.0.1:9000", "--seed", "-4"], "lossproxy: --seed: '-4' is not a whole number of 0 or more"),
        (["--listen", ":9001", "--to", "127.0.0.1:9000", "--lost", "5"],
         "lossproxy: unknown option '--lost'; did you mean '--loss'? (see 'lossproxy --help')"),
    ])
    func mistakesAreOneLineUsageErrors(arguments: [String], message: String) {
        #expect(usageErrorMessage { try invocation(arguments) } == message)
    }

    @Test func helpHasExamplesAndTheLinkMode() throws {
        let help = command.spec.helpText
        #expect(help.contains("Examples:") && help.contains("lossproxy --listen :9001 --to 127.0.0.1:9000 --loss 10%"))
        #expect(help.contains("lossproxy link --ns-a NAME --ns-b NAME"))
        for flag in ["--listen", "--to", "--seed", "--stats", "--json", "--quiet", "--loss", "--drop"] {
            #expect(help.contains(flag), "help lacks \(flag)")
        }
    }

    @Test func theStartLineSaysWhereWhatAndTheSeed() throws {
        let same = try invocation(["--listen", "127.0.0.1:0", "--to", "127.0.0.1:9", "--loss", "10", "--seed", "7"])
        let relay = try UDPRelay(same.configuration)
        let line = RelayCommand.startLine(relay: relay, invocation: same)
        #expect(line == "listening on \(relay.localAddress), forwarding to 127.0.0.1:9; both directions: loss 10%; seed 7")
        #expect(relay.localAddress.port != 0, "the kernel's port is shown, not 0")

        let different = try invocation(["--listen", "127.0.0.1:0", "--to", "127.0.0.1:9", "--forward-delay", "5ms"])
        let other = try UDPRelay(different.configuration)
        let otherLine = RelayCommand.startLine(relay: other, invocation: different)
        #expect(otherLine.contains("forward (to server): delay 5.00 ms; reverse (to clients): none"))
        #expect(otherLine.contains("(random; --seed \(different.configuration.seed) repeats this run's decisions)"))
    }
}
