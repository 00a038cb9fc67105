import Foundation
import Testing
@testable import LabKit

/// A reading names the kernel TCP each run reported using, never one it assumed.
@Suite struct TCPVariantReadingTests {
    /// TCP runs far above the Reno models, each reporting `congestionControl`.
    static func tcpResults(_ variants: [String?]) -> SweepResults {
        let plan = SweepPlan(protocols: [.tcp], losses: [0.01, 0.05], delays: [10_000_000], rates: [50_000_000],
                             windows: [64], size: 2_000_000, repeats: variants.count, network: .link)
        var records: [RunRecord] = []
        for condition in plan.conditions {
            for (offset, variant) in variants.enumerated() {
                records.append(RunRecord(condition: condition, repeatNumber: offset + 1, seconds: 0.5, goodputMbps: 32,
                                         retransmissions: nil, timeouts: nil, ok: true, congestionControl: variant))
            }
        }
        return SweepResults(plan: plan, records: records, notMeasured: [:], started: Date(), finished: Date())
    }

    static func reading(_ results: SweepResults) -> String {
        ResultsReading.bullets(results, summaries: ConditionSummary.summarize(results)).joined(separator: "\n")
    }

    @Test func theMeasuredVariantIsNamedBesideTheRenoModels() {
        let text = Self.reading(Self.tcpResults(["bbr", "bbr"]))
        #expect(text.contains("Mathis and PFTK model Reno"))
        #expect(text.contains("TCP BBR"))
        #expect(!text.contains("CUBIC"), "no variant that did not run: \(text)")
    }

    @Test func runsThatDifferAreAllNamedAndAnUnrecordedOneIsSaidSo() {
        let mixed = Self.reading(Self.tcpResults(["cubic", "bbr"]))
        #expect(mixed.contains("(bbr, cubic)"))
        let unknown = Self.reading(Self.tcpResults([nil]))
        #expect(unknown.contains("unrecorded"))
        #expect(!unknown.contains("CUBIC") && !unknown.contains("BBR"))
    }

    @Test func aVariantAskedForIsItsOwnSeriesAndAMismatchIsSaid() {
        var plan = Self.tcpResults(["cubic"]).plan
        plan.controls = [.tcp: [.tcp("cubic"), .tcp("bbr")]]
        var records: [RunRecord] = []
        for condition in plan.conditions {
            // The bbr series' connections say they ran cubic: a kernel that ignored the request.
            records.append(RunRecord(condition: condition, repeatNumber: 1, seconds: 0.5, goodputMbps: 32,
                                     retransmissions: nil, timeouts: nil, ok: true, congestionControl: "cubic"))
        }
        let results = SweepResults(plan: plan, records: records, notMeasured: [:], started: Date(), finished: Date())
        let text = Self.reading(results)
        #expect(text.contains("TCP cubic: "))
        #expect(text.contains("tcp bbr asked for bbr, but its runs reported cubic"), "\(text)")
        #expect(!text.contains("tcp cubic asked for"))
        let summaries = ConditionSummary.summarize(results)
        #expect(summaries.first { $0.condition.control == .tcp("cubic") }?.prediction.model.hasPrefix("CUBIC model") == true)
    }

    @Test func eachConditionInSummaryJSONListsItsVariants() throws {
        let results = Self.tcpResults(["cubic", "bbr"])
        let summaries = ConditionSummary.summarize(results)
        #expect(summaries.allSatisfy { $0.congestionControls == ["bbr", "cubic"] })
        #expect(ResultsCSV.text(results.records).split(separator: "\n").dropFirst().allSatisfy {
            $0.hasSuffix(",cubic") || $0.hasSuffix(",bbr")
        })
    }
}
