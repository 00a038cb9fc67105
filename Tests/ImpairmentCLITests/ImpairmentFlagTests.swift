import CLIKit
import Impairment
import Testing

@testable import ImpairmentCLI

/// The shared flag declarations as the other programs use them: their own default and help,
/// a list for a sweep, a tighter limit on top of the engine's.
@Suite struct ImpairmentFlagTests {
    /// The message of the usage error `arguments` give, nil if they parse.
    private func usageMessage(_ spec: CommandSpec, _ arguments: [String]) -> String? {
        do {
            _ = try spec.parse([spec.name] + arguments)
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test func aCommandKeepsItsOwnDefaultAndHelp() throws {
        var spec = CommandSpec(name: "demo", summary: "test")
        let loss = spec.option(ImpairmentFlag.loss, default: "10%", help: "Datagrams lost in each direction")
        let delay = spec.option(ImpairmentFlag.delay)
        #expect(try spec.parse(["demo"])[loss].fraction == 0.1)
        #expect(try spec.parse(["demo"])[delay] == nil)
        #expect(try spec.parse(["demo", "--loss", "2.5", "--delay", "30ms"])[loss].fraction == 0.025)
        #expect(try spec.parse(["demo", "--delay", "30ms"])[delay]?.nanoseconds == 30_000_000)
        let help = spec.helpText
        #expect(help.contains("--loss P"))
        #expect(help.contains("Datagrams lost in each direction (default: 10%)"))
        #expect(help.contains("Add this one-way delay"), "without its own help, lossproxy's sentence")
    }

    @Test func theEnginesBoundsHoldEverywhereAndACommandMayTightenThem() {
        var spec = CommandSpec(name: "why-udp", summary: "test")
        let tight = ImpairmentFlag.delay.checked { text, value in
            guard value.nanoseconds <= 10_000_000_000 else { throw ValueError("'\(text)' is above 10s") }
        }
        _ = spec.option(tight, default: "20ms", help: "One-way delay")
        #expect(usageMessage(spec, ["--delay", "11s"]) == "why-udp: --delay: '11s' is above 10s")
        #expect(usageMessage(spec, ["--delay", "2h"]) == "why-udp: --delay: '2h' is longer than the maximum of 1h")
        #expect(usageMessage(spec, ["--delay", "10s"]) == nil)
    }

    @Test func aSweepTakesAListOfAtLeastOneValue() throws {
        var spec = CommandSpec(name: "sweep", summary: "test")
        let losses = spec.listOption(ImpairmentFlag.loss, placeholder: "LIST", default: "0,1", help: "Losses")
        #expect(try spec.parse(["sweep"])[losses].map(\.fraction) == [0, 0.01])
        #expect(try spec.parse(["sweep", "--loss", "5, 10%"])[losses].map(\.fraction) == [0.05, 0.1])
        #expect(usageMessage(spec, ["--loss", "1,,2"]) != nil)
        #expect(usageMessage(spec, ["--loss", "1,200"]) != nil)
    }

    @Test func lossproxyRefusesARateOfZeroWhichASweepReadsAsUnlimited() throws {
        #expect(throws: ValueError.self) { try ImpairmentOptions.positiveRate.parse("0") }
        #expect(try ImpairmentOptions.positiveRate.parse("10mbit") == 10_000_000)
        #expect(try ImpairmentFlag.rate.parse("0").bitsPerSecond == 0)
    }
}
