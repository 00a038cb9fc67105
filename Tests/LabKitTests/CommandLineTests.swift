import Foundation
import Testing
import CLIKit
@testable import LabKit

/// `rudp-lab sweep` and `rudp-lab report` command lines, and the index `report` builds.
@Suite struct CommandLineTests {
    @Test func sweepDefaultsFollowTheSpec() throws {
        let options = try SweepCommandLine.parse(["rudp-lab sweep"], now: Date(timeIntervalSince1970: 0))
        #expect(options.plan.protocols == [.stopAndWait, .goBackN, .selectiveRepeat, .tcp])
        #expect(options.plan.losses == [0, 0.01, 0.02, 0.05, 0.1])
        #expect(options.plan.network == .sim)
        #expect(options.plan.retransmission == .adaptive)
        #expect(options.outDirectory == "results/sweep-sim-19700101T000000Z")
    }

    @Test func sweepTakesListsAndRanges() throws {
        let options = try SweepCommandLine.parse([
            "rudp-lab sweep", "--protocols", "gbn,sr", "--loss", "2%,5", "--delay", "1ms,100ms", "--rate", "10mbit,unlimited",
            "--window", "1..256", "--size", "64KiB", "--repeats", "2", "--network", "proxy", "--rto", "100ms", "--out", "x",
        ])
        let plan = options.plan
        #expect(plan.protocols == [.goBackN, .selectiveRepeat])
        #expect(plan.losses == [0.02, 0.05])
        #expect(plan.delays == [1_000_000, 100_000_000])
        #expect(plan.rates == [10_000_000, 0])
        #expect(plan.windows == [1, 2, 4, 8, 16, 32, 64, 128, 256])
        #expect(plan.size == 65_536)
        #expect(plan.network == .proxy)
        #expect(plan.retransmission == .fixed(100_000_000))
        #expect(options.outDirectory == "x")
        #expect(plan.conditions.count == 2 * 2 * 2 * 2 * 9)
    }

    @Test func sweepRejectsBadValuesAsUsageErrors() {
        for arguments in [["--loss", "101"], ["--protocols", "udp"], ["--window", "0"], ["--network", "wifi"],
                          ["--window", "9..2"], ["--delay", "10"], ["--repeats", "0"], ["--bogus"]] {
            #expect(throws: UsageError.self, "\(arguments)") { try SweepCommandLine.parse(["rudp-lab sweep"] + arguments) }
        }
    }

    @Test func stopAndWaitAndTCPRunOnceWhateverTheWindows() {
        let plan = SweepPlan(protocols: [.stopAndWait, .goBackN, .tcp], losses: [0], delays: [1], rates: [0],
                             windows: [4, 8], size: 10, repeats: 1, network: .sim)
        let conditions = plan.conditions
        #expect(conditions.filter { $0.labProtocol == .stopAndWait }.map(\.window) == [1])
        #expect(conditions.filter { $0.labProtocol == .tcp }.map(\.window) == [nil])
        #expect(conditions.filter { $0.labProtocol == .goBackN }.map(\.window) == [4, 8])
        // Seeds are stable and differ per repeat.
        let first = conditions[0]
        #expect(plan.seed(for: first, repeatNumber: 1) == plan.seed(for: first, repeatNumber: 1))
        #expect(plan.seed(for: first, repeatNumber: 1) != plan.seed(for: first, repeatNumber: 2))
    }

    @Test func commandTextQuotesWhatTheShellWouldSplit() {
        #expect(SweepCommandLine.commandText(["rudp-lab sweep", "--loss", "0,1", "--title", "My sweep"])
            == "rudp-lab sweep --loss 0,1 --title 'My sweep'")
    }

    @Test func reportIndexesEveryExperiment() throws {
        let directory = ReportTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let results = ReportTests.smallResults(protocols: [.stopAndWait])
        try SweepReport.write(results, description: ReportTests.description(results), to: directory + "/loss-sweep")
        // An experiment written by another command: only a README with a heading and an image.
        try FileManager.default.createDirectory(atPath: directory + "/why-udp", withIntermediateDirectories: true)
        try "# Why UDP\n\n```\nrudp-lab why-udp --loss 2\n```\n\n![latency](latency-cdf.svg)\n"
            .write(toFile: directory + "/why-udp/README.md", atomically: true, encoding: .utf8)
        try "<svg/>".write(toFile: directory + "/why-udp/latency-cdf.svg", atomically: true, encoding: .utf8)
        // A comparison of two runs lists both commands.
        try FileManager.default.createDirectory(atPath: directory + "/sim-vs-link", withIntermediateDirectories: true)
        try "# Sim against link\n\n```\nrudp-lab sweep --network sim\nrudp-lab sweep --network link\n```\n\nText.\n"
            .write(toFile: directory + "/sim-vs-link/README.md", atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: directory + "/empty", withIntermediateDirectories: true)

        try ReportCommandLine.run(["rudp-lab report", "--results", directory, "--quiet"])
        let index = try String(contentsOfFile: directory + "/README.md", encoding: .utf8)
        #expect(index.contains("[Test sweep](loss-sweep/README.md)"))
        #expect(index.contains("(loss-sweep/goodput-vs-loss.svg)"))
        #expect(index.contains("`rudp-lab sweep --loss 0,5`"))
        #expect(index.contains("[Why UDP](why-udp/README.md)"))
        #expect(index.contains("(why-udp/latency-cdf.svg)"))
        #expect(index.contains("rudp-lab why-udp --loss 2"))
        #expect(index.contains("| `rudp-lab sweep --network sim`<br>`rudp-lab sweep --network link` |"))
        #expect(index.contains("```\nrudp-lab sweep --network sim\nrudp-lab sweep --network link\n```"))
        #expect(!index.contains("empty/README.md"))
        #expect(try ResultsIndex.entries(in: directory).count == 3)
    }

    @Test("report links only what exists: a summary.json without README, a plot never drawn")
    func reportLinksNoMissingFiles() throws {
        let directory = ReportTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // A sweep interrupted before its README was written: summary.json naming a plot that is not there.
        try FileManager.default.createDirectory(atPath: directory + "/broken", withIntermediateDirectories: true)
        try #"{"title":"Broken sweep","plots":["goodput-vs-loss.svg"]}"#
            .write(toFile: directory + "/broken/summary.json", atomically: true, encoding: .utf8)
        // A README whose image was never drawn.
        try FileManager.default.createDirectory(atPath: directory + "/no-plot", withIntermediateDirectories: true)
        try "# No plot\n\n![latency](missing.svg)\n".write(toFile: directory + "/no-plot/README.md", atomically: true, encoding: .utf8)

        try ReportCommandLine.run(["rudp-lab report", "--results", directory, "--quiet"])
        let index = try String(contentsOfFile: directory + "/README.md", encoding: .utf8)
        #expect(!index.contains("broken/README.md"), "\(index)")
        #expect(index.contains("[Broken sweep](broken/) (no README)"), "\(index)")
        #expect(!index.contains("goodput-vs-loss.svg") && !index.contains("missing.svg"), "\(index)")
        #expect(index.contains("[No plot](no-plot/README.md)"))
    }

    @Test func reportOnAMissingDirectoryFailsWithOneLine() {
        #expect(throws: SweepError.self) { try ReportCommandLine.run(["rudp-lab report", "--results", "/nonexistent/results"]) }
    }
}
