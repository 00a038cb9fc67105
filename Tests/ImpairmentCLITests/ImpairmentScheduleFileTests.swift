import CLIKit
import Impairment
import Testing

@testable import ImpairmentCLI

/// The `--schedule` file: times, the flag vocabulary without dashes, comments, and one-line
/// errors naming the line.
@Suite struct ImpairmentScheduleFileTests {
    private func parse(_ text: String, base: ImpairmentConfig = .none) throws -> ImpairmentSchedule {
        try ImpairmentScheduleFile.parse(text, path: "plan.txt", program: "lossproxy", baseForward: base, baseReverse: base)
    }

    private func message(_ text: String) -> String? {
        do {
            _ = try parse(text)
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test func linesBecomeChangesOverTheCommandLine() throws {
        var base = ImpairmentConfig()
        base.delay = 20_000_000
        let schedule = try parse("""
            # warm up
            0s   loss 0%

            10s  loss 20% delay 50ms   # congestion
            20s  --reverse-loss 5% jitter 2ms jitter-distribution pareto no-reorder-by-jitter
            """, base: base)
        #expect(schedule.changes.map(\.at) == [0, 10_000_000_000, 20_000_000_000])
        #expect(schedule.changes.map(\.text) == ["loss 0%", "loss 20% delay 50ms",
                                                 "--reverse-loss 5% jitter 2ms jitter-distribution pareto no-reorder-by-jitter"])
        let atTen = schedule.configurations(at: 15_000_000_000)
        #expect(atTen.forward.loss == 0.2 && atTen.forward.delay == 50_000_000)
        let atTwenty = schedule.configurations(at: 20_000_000_000)
        #expect(atTwenty.forward.loss == 0 && atTwenty.reverse.loss == 0.05)
        #expect(atTwenty.forward.delay == 20_000_000, "the command line's delay again")
        #expect(atTwenty.forward.jitterDistribution == .pareto && !atTwenty.forward.reorderByJitter)
        #expect(schedule.nextChange(after: 10_000_000_000) == 20_000_000_000)
        #expect(schedule.nextChange(after: 20_000_000_000) == nil)
        #expect(schedule.configurations(at: 0).forward.loss == 0)
    }

    @Test func linesMayComeInAnyOrder() throws {
        let schedule = try parse("5s loss 5%\n1s loss 1%\n")
        #expect(schedule.changes.map(\.at) == [1_000_000_000, 5_000_000_000])
        #expect(schedule.configurations(at: 0) == (schedule.baseForward, schedule.baseReverse))
    }

    @Test func anUnreadableFileIsOneLine() {
        #expect(throws: UsageError.self) {
            try ImpairmentScheduleFile(path: "/nonexistent/plan.txt", program: "lossproxy", baseForward: .none, baseReverse: .none)
        }
    }

    @Test(arguments: [
        ("loss 5%", "lossproxy: --schedule plan.txt:1: 'loss' is not a time since the start (e.g. 0s, 10s, 1.5s)"),
        ("\n10s", "lossproxy: --schedule plan.txt:2: no impairments after 10s (e.g. 10s loss 20%)"),
        ("10s 5%", "lossproxy: --schedule plan.txt:1: '5%' is not an impairment (e.g. loss, delay, jitter, rate)"),
        ("10s loss 150%", "lossproxy: --schedule plan.txt:1: --loss: '150%' is not a percentage between 0 and 100"),
        ("1s queue 5", "lossproxy: --schedule plan.txt:1: --queue limits the queue of the --rate bottleneck; give --rate too"),
    ])
    func mistakesNameTheLine(text: String, expected: String) {
        #expect(message(text) == expected)
    }
}
