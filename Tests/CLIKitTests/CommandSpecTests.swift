import Testing
@testable import CLIKit

/// A rudp-send-like declaration used by most tests.
struct SendCommand {
    var spec = CommandSpec(
        name: "rudp-send", summary: "Send one file over reliable UDP.",
        examples: [HelpExample("rudp-send photo.jpg 127.0.0.1:9000", "Send a file to a local receiver")])
    let protocolName: OptionKey<String>
    let window: OptionKey<Int>
    let rto: OptionKey<DurationValue?>
    let name: OptionKey<String?>
    let loss: OptionKey<PercentValue?>
    let json: FlagKey
    let quiet: FlagKey
    let file: OptionKey<String>
    let address: OptionKey<String>

    init() {
        protocolName = spec.option(
            "protocol", short: "p", placeholder: "sw|gbn|sr|tcp", default: "sr",
            help: "Protocol to use", parse: ValueParsers.choice(["sw", "gbn", "sr", "tcp"]))
        window = spec.option(
            "window", short: "w", placeholder: "N", default: "64", help: "Packets in flight",
            parse: ValueParsers.integer(in: 1...65535))
        rto = spec.option(
            "rto", placeholder: "DUR", defaultHelp: "auto", help: "Fixed retransmission timeout",
            parse: DurationValue.parse)
        name = spec.option("name", placeholder: "NAME", help: "Name sent to the receiver", parse: ValueParsers.string)
        loss = spec.option("loss", placeholder: "P", help: "Loss", parse: PercentValue.parse)
        json = spec.flag("json", help: "Print one JSON object on stdout")
        quiet = spec.flag("quiet", short: "q", help: "Print nothing but errors")
        file = spec.positional("FILE", help: "File to send, or - for standard input", parse: ValueParsers.string)
        address = spec.positional("ADDR", help: "Receiver address", parse: ValueParsers.string)
    }

    func parse(_ arguments: [String]) throws -> ParsedArguments {
        try spec.parse(["/usr/bin/rudp-send"] + arguments)
    }

    /// The usage error's one line for these arguments, or nil if parsing succeeded.
    func usageLine(_ arguments: [String]) -> String? {
        do {
            _ = try parse(arguments)
            return nil
        } catch let error as UsageError {
            return error.description
        } catch {
            return "unexpected error: \(error)"
        }
    }
}

@Suite struct CommandSpecTests {
    @Test func defaultsApplyWhenAbsent() throws {
        let command = SendCommand()
        let arguments = try command.parse(["a.txt", "host:9000"])
        #expect(arguments[command.protocolName] == "sr")
        #expect(arguments[command.window] == 64)
        #expect(arguments[command.rto] == nil)
        #expect(arguments[command.name] == nil)
        #expect(arguments[command.json] == false)
        #expect(arguments[command.file] == "a.txt")
        #expect(arguments[command.address] == "host:9000")
        #expect(!arguments.wasGiven(command.window))
    }

    @Test func spaceAndEqualsFormsAndShortAliases() throws {
        let command = SendCommand()
        let arguments = try command.parse([
            "--protocol", "gbn", "--window=8", "--rto=250ms", "a.txt", "-q", "host:9000", "--json",
        ])
        #expect(arguments[command.protocolName] == "gbn")
        #expect(arguments[command.window] == 8)
        #expect(arguments[command.rto] == DurationValue(nanoseconds: 250_000_000))
        #expect(arguments[command.json])
        #expect(arguments[command.quiet])
        #expect(arguments.wasGiven(command.window))

        let short = try command.parse(["-p", "sw", "-w16", "a", "b"])
        #expect(short[command.protocolName] == "sw")
        #expect(short[command.window] == 16)
    }

    @Test func lastRepeatedOptionWins() throws {
        let command = SendCommand()
        let arguments = try command.parse(["--window", "8", "a", "b", "--window", "32"])
        #expect(arguments[command.window] == 32)
    }

    @Test func dashIsAPositionalAndDoubleDashEndsOptions() throws {
        let command = SendCommand()
        let stdin = try command.parse(["-", "host:1", "--name", "x"])
        #expect(stdin[command.file] == "-")
        #expect(stdin[command.name] == "x")
        let dashed = try command.parse(["--json", "--", "--weird-file", "host:1"])
        #expect(dashed[command.file] == "--weird-file")
        #expect(dashed[command.json])
    }

    @Test func optionValuesMayStartWithASingleDash() throws {
        let command = SendCommand()
        #expect(try command.parse(["--name", "-", "-", "h:1"])[command.name] == "-")
        #expect(try command.parse(["--name=--odd", "a", "h:1"])[command.name] == "--odd")
    }

    @Test func unknownOptionIsOneLineWithHelpHint() {
        let command = SendCommand()
        #expect(command.usageLine(["--foo", "a", "b"]) == "rudp-send: unknown option '--foo' (see 'rudp-send --help')")
        #expect(command.usageLine(["-x", "a", "b"]) == "rudp-send: unknown option '-x' (see 'rudp-send --help')")
    }

    @Test func unknownOptionSuggestsTheClosestName() {
        let command = SendCommand()
        #expect(
            command.usageLine(["--windw", "8", "a", "b"])
                == "rudp-send: unknown option '--windw'; did you mean '--window'? (see 'rudp-send --help')")
        #expect(command.usageLine(["-json", "a", "b"])?.contains("did you mean '--json'?") == true)
    }

    @Test func missingValue() {
        let command = SendCommand()
        #expect(
            command.usageLine(["a", "b", "--window"])
                == "rudp-send: option '--window' needs a value: --window N (see 'rudp-send --help')")
        // The next long option is not swallowed as the value.
        #expect(command.usageLine(["--name", "--json", "a", "b"])?.contains("'--name' needs a value") == true)
    }

    @Test func flagRejectsValue() {
        let command = SendCommand()
        #expect(command.usageLine(["--json=yes", "a", "b"])?.contains("option '--json' does not take a value") == true)
    }

    @Test func missingAndExtraPositionals() {
        let command = SendCommand()
        #expect(command.usageLine(["a"]) == "rudp-send: missing argument ADDR (see 'rudp-send --help')")
        #expect(command.usageLine([]) == "rudp-send: missing argument FILE (see 'rudp-send --help')")
        #expect(command.usageLine(["a", "b", "c"]) == "rudp-send: unexpected argument 'c' (see 'rudp-send --help')")
    }

    @Test func badValuesNameTheOptionWithoutHelpHint() {
        let command = SendCommand()
        #expect(
            command.usageLine(["--loss", "150%", "a", "b"])
                == "rudp-send: --loss: '150%' is not a percentage between 0 and 100")
        #expect(
            command.usageLine(["--rto", "10", "a", "b"])
                == "rudp-send: --rto: '10' needs a unit: 10ms, 10s, 10us (units: ns, us, ms, s, m, h)")
        #expect(
            command.usageLine(["--window", "0", "a", "b"])
                == "rudp-send: --window: '0' is not a whole number between 1 and 65535")
        #expect(
            command.usageLine(["-p", "tpc", "a", "b"])
                == "rudp-send: --protocol: 'tpc' is not one of sw, gbn, sr, tcp; did you mean 'tcp'?")
    }

    @Test func helpWinsOverOtherMistakes() {
        let command = SendCommand()
        for arguments in [["--help"], ["-h"], ["--bogus", "--help"], ["a", "b", "c", "-h"]] {
            #expect(throws: ProgramExit(code: 0, output: command.spec.helpText)) {
                try command.parse(arguments)
            }
        }
        // After `--`, --help is a file name.
        #expect(throws: UsageError.self) { try command.parse(["--", "--help"]) }
    }

    @Test func versionIsUniform() {
        let command = SendCommand()
        #expect(throws: ProgramExit(code: 0, output: "rudp-send 0.1.0")) {
            try command.parse(["a", "--version"])
        }
        #expect(RUDPLabVersion.current == "0.1.0")
    }

    @Test func helpListsEveryOptionWithDefaultsAndExamples() {
        let help = SendCommand().spec.helpText
        #expect(help.hasPrefix("Usage: rudp-send FILE ADDR [options]\n"))
        #expect(help.contains("Send one file over reliable UDP."))
        for option in ["-p, --protocol sw|gbn|sr|tcp", "-w, --window N", "--rto DUR", "--name NAME",
            "--loss P", "--json", "-q, --quiet", "-h, --help", "--version"]
        {
            #expect(help.contains(option), "help lacks \(option)")
        }
        #expect(help.contains("Packets in flight (default: 64)"))
        #expect(help.contains("(default: auto)"))
        #expect(help.contains("(default: sr)"))
        #expect(help.contains("FILE"))
        #expect(help.contains("Examples:\n  # Send a file to a local receiver\n  rudp-send photo.jpg 127.0.0.1:9000"))
        #expect(help.split(separator: "\n").allSatisfy { $0.count <= 80 })
    }

    @Test("an example's comment wrapped over lines keeps its # on each, so a pasted example runs no words")
    func wrappedExampleCommentsStayComments() {
        let explanation = "a 20 ms round trip and 3% loss each way between the namespaces left (10.77.0.1) and right (10.77.0.2)"
        let spec = CommandSpec(name: "lossproxy", summary: "Impair UDP.",
                               examples: [HelpExample("lossproxy link --ns-a left --ns-b right", explanation)])
        let examples = spec.helpText.components(separatedBy: "Examples:\n")[1].split(separator: "\n")
        #expect(examples.count == 3, "expected two comment lines and the command: \(examples)")
        #expect(examples.dropLast().allSatisfy { $0.hasPrefix("  # ") && $0.count <= 80 }, "\(examples)")
        #expect(examples.last == "  lossproxy link --ns-a left --ns-b right")
    }

    @Test func requiredOptionAndSectionsAndHiddenOptions() throws {
        var spec = CommandSpec(name: "lossproxy", summary: "Impair UDP.", subcommands: [("link", "TUN link mode")])
        let to = spec.requiredOption("to", placeholder: "ADDR", help: "Server address", parse: ValueParsers.string)
        spec.section("Impairments")
        let loss = spec.option("loss", placeholder: "P", default: "0", help: "Bernoulli loss", parse: PercentValue.parse)
        let reverseLoss = spec.option(
            "reverse-loss", placeholder: "P", help: "Loss server→client", hidden: true, parse: PercentValue.parse)

        #expect(throws: UsageError(program: "lossproxy", message: "missing required option --to ADDR")) {
            try spec.parse(["lossproxy"])
        }
        let arguments = try spec.parse(["lossproxy", "--to", "h:1", "--reverse-loss", "5%"])
        #expect(arguments[to] == "h:1")
        #expect(arguments[loss].fraction == 0)
        #expect(arguments[reverseLoss]?.fraction == 0.05)

        let help = spec.helpText
        #expect(help.contains("Impairments:\n"))
        #expect(help.contains("--loss P"))
        #expect(!help.contains("reverse-loss"))
        #expect(help.contains("Commands:\n  link"))
        #expect(help.contains("Server address (required)"))
        // Options outside any section come before the first section.
        let options = help.range(of: "Options:")!.lowerBound
        let impairments = help.range(of: "Impairments:")!.lowerBound
        #expect(options < impairments)
    }

    @Test func optionalPositionalAndLists() throws {
        var spec = CommandSpec(name: "tool", summary: "Test.")
        let losses = spec.option(
            "loss", placeholder: "LIST", default: "0,1,2", help: "Loss rates",
            parse: ValueParsers.list(PercentValue.parse))
        let target = spec.optionalPositional("DIR", help: "Directory", parse: ValueParsers.string)
        let plain = try spec.parse(["tool"])
        #expect(plain[losses].map(\.fraction) == [0, 0.01, 0.02])
        #expect(plain[target] == nil)
        let given = try spec.parse(["tool", "out", "--loss", "5, 10"])
        #expect(given[losses].map(\.fraction) == [0.05, 0.1])
        #expect(given[target] == "out")
        #expect(throws: UsageError(program: "tool", message: "--loss: '1,,2' has an empty item; separate values with single commas, e.g. 0,1,5", suggestsHelp: false)) {
            try spec.parse(["tool", "--loss", "1,,2"])
        }
        #expect(throws: UsageError(program: "tool", message: "--loss: '200' is not a percentage between 0 and 100", suggestsHelp: false)) {
            try spec.parse(["tool", "--loss", "1,200"])
        }
        #expect(spec.helpText.hasPrefix("Usage: tool [DIR] [options]"))
    }

    @Test func errorsFromCustomParsersKeepTheirText() {
        struct AddressError: Error, CustomStringConvertible {
            var description: String { "'nohost' is not HOST:PORT" }
        }
        var spec = CommandSpec(name: "tool", summary: "Test.")
        _ = spec.option("to", placeholder: "ADDR", help: "Where", parse: { (_: String) -> String in throw AddressError() })
        #expect(throws: UsageError(program: "tool", message: "--to: 'nohost' is not HOST:PORT", suggestsHelp: false)) {
            try spec.parse(["tool", "--to", "nohost"])
        }
    }

    @Test func editDistance() {
        #expect(CLIKit.editDistance("window", "windw") == 1)
        #expect(CLIKit.editDistance("", "abc") == 3)
        #expect(CLIKit.editDistance("tpc", "tcp") == 1)
        #expect(CLIKit.editDistance("kitten", "sitting") == 3)
        #expect(closestName(to: "--jsn", among: ["--json", "--quiet"]) == "--json")
        #expect(closestName(to: "--zzzzzz", among: ["--json", "--quiet"]) == nil)
    }
}

@Suite struct CommandGroupTests {
    let group = CommandGroup(
        name: "rudp-lab", summary: "Run experiments.",
        commands: [("sweep", "Sweep loss"), ("why-udp", "Latency under loss"), ("report", "Index results"), ("demo", "Show a transfer")],
        examples: [HelpExample("rudp-lab demo")])

    @Test func selectsCommandAndNamesItsSpec() throws {
        let (command, commandLine) = try group.select(["/bin/rudp-lab", "sweep", "--loss", "0,1"])
        #expect(command == "sweep")
        #expect(commandLine == ["rudp-lab sweep", "--loss", "0,1"])

        var spec = CommandSpec(name: commandLine[0], summary: "Sweep.")
        _ = spec.option("loss", placeholder: "LIST", help: "x", parse: ValueParsers.list(PercentValue.parse))
        #expect(throws: UsageError(program: "rudp-lab sweep", message: "--loss: 'x' is not a percentage (examples: 5, 5%, 0.5%)", suggestsHelp: false)) {
            try spec.parse(["rudp-lab sweep", "--loss", "x"])
        }
        #expect(throws: ProgramExit(code: 0, output: "rudp-lab 0.1.0")) { try spec.parse(commandLine + ["--version"]) }
    }

    @Test func unknownAndMissingCommands() {
        #expect(throws: UsageError(program: "rudp-lab", message: "unknown command 'swep'; did you mean 'sweep'?")) {
            try group.select(["rudp-lab", "swep"])
        }
        #expect(throws: UsageError(program: "rudp-lab", message: "missing command: one of sweep, why-udp, report, demo")) {
            try group.select(["rudp-lab"])
        }
        #expect(throws: UsageError.self) { try group.select(["rudp-lab", "--loss", "5"]) }
    }

    @Test func helpAndVersion() throws {
        #expect(throws: ProgramExit(code: 0, output: group.helpText)) { try group.select(["rudp-lab", "--help"]) }
        #expect(throws: ProgramExit(code: 0, output: "rudp-lab 0.1.0")) { try group.select(["rudp-lab", "--version"]) }
        let (command, commandLine) = try group.select(["rudp-lab", "help", "demo"])
        #expect(command == "demo")
        #expect(commandLine == ["rudp-lab demo", "--help"])
        for name in ["sweep", "why-udp", "report", "demo"] {
            #expect(group.helpText.contains("\n  \(name) "))
        }
    }

    @Test func optionalSubcommand() {
        #expect(
            CommandGroup.commandLine(forOptionalSubcommand: "link", program: "lossproxy", in: ["lossproxy", "link", "--ns-a", "a"])
                == ["lossproxy link", "--ns-a", "a"])
        #expect(
            CommandGroup.commandLine(forOptionalSubcommand: "link", program: "lossproxy", in: ["lossproxy", "--listen", ":1"])
                == nil)
    }
}

/// Paths are bytes: values parsed from the raw command line keep the bytes the user gave.
@Suite struct RawArgumentTests {
    @Test("a positional and an option that are not UTF-8 keep their exact bytes, spelled any way")
    func rawBytesAreKept() throws {
        var spec = CommandSpec(name: "rudp-send", summary: "test")
        let file = spec.positional("FILE", help: "file", parse: ValueParsers.string)
        let name = spec.option("name", short: "n", placeholder: "NAME", help: "name", parse: ValueParsers.string)
        let latin1: [UInt8] = [0x63, 0x61, 0x66, 0xE9]
        for spelling in [[Array("--name".utf8), [0xFF, 0xFE]], [Array("--name=".utf8) + [0xFF, 0xFE]],
                         [Array("-n".utf8) + [0xFF, 0xFE]]] {
            let arguments = try spec.parse(rawCommandLine: [Array("rudp-send".utf8), latin1] + spelling)
            #expect(arguments.bytes(of: file) == latin1)
            #expect(arguments.bytes(of: name) == [0xFF, 0xFE])
            #expect(arguments[name] == "\u{FFFD}\u{FFFD}", "the text is repaired, the bytes are not")
        }
    }

    @Test("an option not given has no bytes")
    func absentOptionHasNoBytes() throws {
        var spec = CommandSpec(name: "rudp-send", summary: "test")
        let name = spec.option("name", placeholder: "NAME", help: "name", parse: ValueParsers.string)
        let arguments = try spec.parse(rawCommandLine: [Array("rudp-send".utf8)])
        #expect(arguments.bytes(of: name) == nil)
    }
}
