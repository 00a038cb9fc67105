import Foundation
import Testing
import CLIKit
import RUDP
@testable import LabKit

/// `rudp-lab sweep --cc LIST`: what the lists mean, the grid they make, that the textbook
/// sender stays the fixed window unless asked otherwise, and a simulated sweep with two sr series.
@Suite struct CongestionSweepTests {
    static func parse(_ arguments: [String]) throws -> SweepPlan {
        try SweepCommandLine.parse(["rudp-lab sweep"] + arguments).plan
    }

    /// The message of the usage error `arguments` cause (nil when they parse).
    static func usageMessage(_ arguments: [String]) -> String? {
        do {
            _ = try parse(arguments)
            return nil
        } catch let error as UsageError {
            return error.description
        } catch {
            return "not a usage error: \(error)"
        }
    }

    @Test func theBottleneckQueueReachesTheSimulatorAndTheLinkAlike() throws {
        let plan = try Self.parse(["--protocols", "sr", "--cc", "bbr", "--rate", "200mbit", "--delay", "50ms",
                                   "--queue", "2000", "--loss", "0"])
        let condition = try #require(plan.conditions.first)
        let scenario = SimulatedNetwork.scenario(condition, mode: .selectiveRepeat, seed: 1, plan: plan)
        #expect(scenario.forward.queueLimit == 2_000 && scenario.reverse.queueLimit == 2_000)
        let arguments = RealTransfer.impairmentArguments(condition, seed: 1, plan: plan)
        #expect(arguments.suffix(2) == ["--queue", "2000"])
        let unset = try Self.parse(["--protocols", "sr"])
        #expect(!RealTransfer.impairmentArguments(unset.conditions[0], seed: 1, plan: unset).contains("--queue"))
    }

    @Test func withoutCCEverySenderRunsItsSweepDefault() throws {
        let plan = try Self.parse(["--protocols", "sw,gbn,sr,tcp", "--network", "link"])
        #expect(plan.controls(for: .selectiveRepeat) == [.rudp(.none)], "sr stays the textbook sender")
        #expect(plan.controls(for: .goBackN) == [.rudp(.none)])
        #expect(plan.controls(for: .tcp) == [.tcp(nil)], "TCP runs the system's default")
        #expect(!plan.hasControlledRUDP)
        #expect(plan.conditions.allSatisfy { $0.seriesName == $0.labProtocol.rawValue } == true)
    }

    @Test func bareNamesApplyToEveryRUDPProtocolAndTCPVariantsToTCP() throws {
        let plan = try Self.parse(["--protocols", "gbn,sr,tcp", "--network", "link",
                                   "--cc", "bbr,cubic,tcp:cubic,tcp:bbr,sr:reno"])
        #expect(plan.controls(for: .goBackN) == [.rudp(.bbr), .rudp(.cubic)])
        #expect(plan.controls(for: .selectiveRepeat) == [.rudp(.bbr), .rudp(.cubic), .rudp(.reno)])
        #expect(plan.controls(for: .tcp) == [.tcp("cubic"), .tcp("bbr")])
        // `tcp` alone is the system's default, beside a named variant.
        let both = try Self.parse(["--protocols", "tcp", "--network", "link", "--cc", "tcp,tcp:cubic"])
        #expect(both.controls(for: .tcp) == [.tcp(nil), .tcp("cubic")])
        // A protocol no item names keeps its default.
        let onlyTCP = try Self.parse(["--protocols", "sr,tcp", "--network", "link", "--cc", "tcp:cubic"])
        #expect(onlyTCP.controls(for: .selectiveRepeat) == [.rudp(.none)])
    }

    @Test func badListsAreOneLineUsageErrors() {
        let cases: [([String], String)] = [
            (["--cc", "vegas"], "unknown congestion control 'vegas'"),
            (["--cc", "sr:fast"], "unknown congestion control 'fast' in 'sr:fast'"),
            (["--protocols", "sr,tcp", "--cc", "tcp:cubic"], "--network sim cannot run kernel TCP"),
            (["--protocols", "sr,tcp", "--network", "proxy", "--cc", "tcp:bbr"], "--network proxy cannot run kernel TCP"),
            (["--protocols", "sr", "--cc", "gbn:reno"], "--cc gbn:reno is for gbn, which --protocols does not include"),
            (["--protocols", "tcp", "--network", "link", "--cc", "cubic"], "for kernel TCP write tcp:cubic"),
            (["--network", "link", "--cc", "tcp:cu-bic"], "'cu-bic' is not a kernel congestion control name"),
            (["--cc", "bbr,,none"], "empty item"),
        ]
        for (arguments, expected) in cases {
            let message = Self.usageMessage(arguments)
            #expect(message?.contains(expected) == true, "\(arguments): \(message ?? "parsed")")
            #expect(message?.contains("\n") == false, "one line: \(message ?? "")")
        }
    }

    @Test func theGridRunsEachControlWithItsOwnWindow() throws {
        let plan = try Self.parse(["--protocols", "sw,sr,tcp", "--network", "link", "--cc", "none,bbr,tcp:cubic",
                                   "--loss", "0,1"])
        let conditions = plan.conditions
        // sw none, sw bbr (window 1 both), sr none, sr bbr, tcp cubic; each at two losses.
        #expect(conditions.count == 5 * 2)
        #expect(Set(conditions.map(\.seriesName)) == ["sw", "sw bbr", "sr", "sr bbr", "tcp cubic"])
        #expect(conditions.filter { $0.seriesName == "sr" }.map(\.window) == [64, 64], "--window's default")
        #expect(conditions.filter { $0.seriesName == "sr bbr" }.map(\.window)
            == [SenderConfiguration.maxWindow, SenderConfiguration.maxWindow], "a controller's cap is rudp-send's")
        #expect(plan.separateControlledWindow == SenderConfiguration.maxWindow)
        // An explicit --window caps the controllers too.
        let capped = try Self.parse(["--protocols", "sr", "--cc", "none,cubic", "--window", "32,128"])
        // Windows outside losses: five losses at 32, then five at 128.
        #expect(capped.conditions.filter { $0.control == .rudp(.cubic) }.map(\.window)
            == Array(repeating: 32, count: 5) + Array(repeating: 128, count: 5))
        #expect(capped.separateControlledWindow == nil)
    }

    @Test func textbookRunsKeepTheirSeedsAndControlledRunsGetTheirOwn() {
        let plan = SweepPlan(protocols: [.selectiveRepeat], losses: [0.02], delays: [10_000_000], rates: [0],
                             windows: [64], size: 1000, repeats: 1, network: .sim)
        let textbook = SweepCondition(labProtocol: .selectiveRepeat, loss: 0.02, delay: 10_000_000, rate: 0,
                                      window: 64, size: 1000)
        var bbr = textbook
        bbr.control = .rudp(.bbr)
        // The seed this textbook condition had before congestion control was a dimension (FNV-1a
        // over protocol index 2, the loss's bits, delay, rate, window, size and repeat, plan seed 1),
        // so regenerated textbook sweeps run the very same loss patterns.
        #expect(plan.seed(for: textbook, repeatNumber: 1) == 0xAA6B_23A7_E985_CA5A)
        #expect(plan.seed(for: bbr, repeatNumber: 1) != plan.seed(for: textbook, repeatNumber: 1))
    }

    @Test func rudpSendAlwaysGetsTheControllerExplicitly() {
        let plan = SweepPlan(protocols: [.selectiveRepeat, .tcp], losses: [0], delays: [0], rates: [0],
                             windows: [64], size: 1000, repeats: 1, network: .link)
        func arguments(_ labProtocol: LabProtocol, _ control: SenderControl) -> [String] {
            let condition = SweepCondition(labProtocol: labProtocol, control: control, loss: 0, delay: 0, rate: 0,
                                           window: labProtocol == .tcp ? nil : 64, size: 1000)
            return RealTransfer.senderArguments(condition, plan: plan, file: "in.bin", address: "10.77.0.2:9",
                                                repeatNumber: 1)
        }
        let textbook = arguments(.selectiveRepeat, .rudp(.none))
        #expect(textbook.contains(["--cc", "none"]), "the textbook sender whatever rudp-send's default: \(textbook)")
        #expect(arguments(.selectiveRepeat, .rudp(.bbr)).contains(["--cc", "bbr"]))
        #expect(arguments(.tcp, .tcp("cubic")).contains(["--tcp-cc", "cubic"]))
        let systemTCP = arguments(.tcp, .tcp(nil))
        #expect(!systemTCP.contains("--tcp-cc") && !systemTCP.contains("--cc"), "\(systemTCP)")
    }

    @Test func aSimulatedSweepOfNoneAndBBRGivesTwoSRSeries() throws {
        var plan = try Self.parse(["--protocols", "sr", "--cc", "none,bbr", "--loss", "0,2", "--size", "300KB",
                                   "--repeats", "1", "--rate", "20mbit", "--delay", "5ms"])
        plan.seed = 7
        let results = SweepRunner.run(plan, on: SimulatedNetwork())
        #expect(results.records.count == 4)
        #expect(results.records.allSatisfy { $0.ok })
        #expect(results.records.map(\.congestionControl) == ["none", "none", "bbr", "bbr"])
        let csv = ResultsCSV.text(results.records).split(separator: "\n").dropFirst()
        #expect(csv.filter { $0.hasSuffix(",bbr") }.count == 2)

        let directory = ReportTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try SweepReport.write(results, description: ReportTests.description(results), to: directory)
        let readme = try String(contentsOfFile: directory + "/README.md", encoding: .utf8)
        #expect(readme.contains("| sr | bbr | 2% |"))
        #expect(readme.contains("| sr | none | 2% |"))
        #expect(readme.contains("`sr bbr`: BBR v1 (--cc bbr)"))
        #expect(readme.contains("Selective Repeat (bbr): "))
        #expect(readme.contains("Selective Repeat (fixed window): "))
        let svg = try String(contentsOfFile: directory + "/goodput-vs-loss.svg", encoding: .utf8)
        #expect(svg.contains(">sr bbr measured") && svg.contains(">sr measured"), "a legend entry per series")
        #expect(svg.contains("BBR model"))
        let summary = try JSONValue(parsing: String(contentsOfFile: directory + "/summary.json", encoding: .utf8))
        let series = summary["conditions"]?.arrayValue?.compactMap { $0["series"]?.stringValue } ?? []
        #expect(series == ["sr", "sr", "sr bbr", "sr bbr"])
    }

    @Test func aTextbookSweepSaysItsSendersAreTheFixedWindow() throws {
        let results = ReportTests.smallResults(protocols: [.goBackN, .selectiveRepeat])
        let directory = ReportTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try SweepReport.write(results, description: ReportTests.description(results), to: directory)
        let readme = try String(contentsOfFile: directory + "/README.md", encoding: .utf8)
        #expect(readme.contains("ran the fixed window (`--cc none`): the textbook sender"))
        #expect(readme.contains("Goodput vs loss (sim, fixed window)"))
    }
}
