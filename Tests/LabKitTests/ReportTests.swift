import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
import CLIKit
@testable import LabKit

/// The files a sweep writes: CSV columns as SPEC.md says, JSON that parses, SVG that is XML
/// with axes and a legend, and a README with the table and a reading.
@Suite struct ReportTests {
    static func smallResults(protocols: [LabProtocol] = [.stopAndWait, .selectiveRepeat, .tcp]) -> SweepResults {
        let plan = SweepPlan(protocols: protocols, losses: [0, 0.05], delays: [5_000_000], rates: [20_000_000],
                             windows: [16], size: 60_000, repeats: 2, network: .sim)
        return SweepRunner.run(plan, on: SimulatedNetwork())
    }

    static func description(_ results: SweepResults) -> SweepDescription {
        SweepDescription(title: "Test sweep", command: "rudp-lab sweep --loss 0,5",
                         environment: RunEnvironment(machine: "test", kernel: "test", commit: "abc", date: "2026-01-01T00:00:00Z",
                                                     build: "debug"))
    }

    static func temporaryDirectory() -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("labkit-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func csvHeaderAndColumnsAreExactlyAsSpecified() {
        // SPEC.md's columns in its order, then the congestion control each run used.
        #expect(ResultsCSV.header == "protocol,loss,delay,rate,window,size,repeat,seconds,goodput_mbps,retransmissions,timeouts,ok,cc")
        let results = Self.smallResults()
        let lines = ResultsCSV.text(results.records).split(separator: "\n").map(String.init)
        #expect(lines.first == ResultsCSV.header)
        // sw and sr × 2 losses × 2 repeats; TCP is not measured in sim, so it has no rows.
        #expect(lines.count == 1 + 8)
        for line in lines.dropFirst() {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            #expect(fields.count == 13, "\(line)")
            #expect(fields[11] == "true" || fields[11] == "false")
            #expect(fields[12] == "none", "the simulated textbook sender runs without congestion control")
        }
        #expect(lines[1].hasPrefix("sw,0,5,20,1,60000,1,"))
    }

    @Test func failedRunsKeepTheirRowWithoutGoodput() {
        let condition = SweepCondition(labProtocol: .goBackN, loss: 0.2, delay: 10_000_000, rate: 0, window: 8, size: 1000)
        let row = ResultsCSV.row(.failed(condition, repeatNumber: 3, seconds: 1.5, "sender failed: gave up"))
        #expect(row == "gbn,20,10,0,8,1000,3,1.500000,,,,false,")
        let tcp = SweepCondition(labProtocol: .tcp, loss: 0.01, delay: 250_000, rate: 800_000, window: nil, size: 5)
        let record = RunRecord(condition: tcp, repeatNumber: 1, seconds: 0.25, goodputMbps: 0.00016,
                               retransmissions: nil, timeouts: nil, ok: true, congestionControl: "bbr")
        #expect(ResultsCSV.row(record) == "tcp,1,0.25,0.8,,5,1,0.250000,0.0002,,,true,bbr")
    }

    @Test func reportDirectoryHoldsEveryFile() throws {
        let results = Self.smallResults()
        let directory = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let written = try SweepReport.write(results, description: Self.description(results), to: directory)
        #expect(written.contains(directory + "/results.csv"))
        #expect(written.contains(directory + "/goodput-vs-loss.svg"))

        let summary = try JSONValue(parsing: String(contentsOfFile: directory + "/summary.json", encoding: .utf8))
        #expect(summary["title"]?.stringValue == "Test sweep")
        let conditions = summary["conditions"]?.arrayValue ?? []
        #expect(conditions.count == 6)
        let tcp = conditions.filter { $0["protocol"]?.stringValue == "tcp" }
        #expect(tcp.count == 2 && tcp.allSatisfy { $0["status"]?.stringValue == "not measured" })
        let sr = conditions.first { $0["protocol"]?.stringValue == "sr" && $0["loss"]?.doubleValue == 5 }
        #expect(sr?["ok"]?.intValue == 2)
        let mean = sr?["goodput_mbps"]?["mean"]?.doubleValue ?? 0
        let low = sr?["goodput_mbps"]?["min"]?.doubleValue ?? 0
        let high = sr?["goodput_mbps"]?["max"]?.doubleValue ?? 0
        #expect(low <= mean && mean <= high && mean > 0)
        #expect((sr?["model"]?["goodput_mbps"]?.doubleValue ?? 0) > 0)

        let readme = try String(contentsOfFile: directory + "/README.md", encoding: .utf8)
        #expect(readme.contains("rudp-lab sweep --loss 0,5"))
        #expect(readme.contains("| protocol | cc | loss |"))
        #expect(readme.contains("![") && readme.contains("goodput-vs-loss.svg"))
        #expect(readme.contains("## Reading"))
        #expect(readme.contains("not measured"))
        #expect(readme.contains("kernel") && readme.contains("commit") && readme.contains("2026-01-01"))
    }

    @Test func readingIsComputedFromTheNumbers() {
        let results = Self.smallResults(protocols: [.stopAndWait, .selectiveRepeat])
        let bullets = ResultsReading.bullets(results, summaries: ConditionSummary.summarize(results))
        // Selective Repeat is faster than stop-and-wait at every loss here.
        #expect(bullets.contains { $0.hasPrefix("Selective Repeat had the highest goodput in every condition with a clear winner (2)") })
        #expect(bullets.contains { $0.hasPrefix("Against the models") && $0.contains("sw within") && $0.contains("sr within") })
        #expect(bullets.contains { $0.contains("kept the least") && $0.contains("compares each series with itself") })
    }

    @Test func everyPlotIsXMLWithAxesAndLegend() throws {
        let results = Self.smallResults()
        let plots = GoodputPlots.build(results, summaries: ConditionSummary.summarize(results))
        #expect(plots.map(\.fileName) == ["goodput-vs-loss.svg"])
        for plot in plots {
            let structure = try SVGStructure(plot.svg)
            #expect(structure.root == "svg")
            #expect(structure.groupClasses.contains("axis x-axis"))
            #expect(structure.groupClasses.contains("axis y-axis"))
            #expect(structure.groupClasses.contains("legend"))
            #expect(structure.groupClasses.contains("series model sr"))
            #expect(structure.texts.contains("loss per direction (%)"))
            #expect(structure.texts.contains { $0.hasPrefix("goodput (Mbit/s)") })
            #expect(structure.texts.contains("sr measured (mean, min–max)"))
            #expect(structure.dashedPolylines >= 2)  // one model line per measured protocol
        }
    }

    @Test func windowSweepPlotsAgainstTheWindowOnALogAxis() throws {
        var plan = SweepPlan(protocols: [.goBackN, .selectiveRepeat], losses: [0.02], delays: [10_000_000],
                             rates: [50_000_000], windows: [1, 4, 16, 64], size: 30_000, repeats: 1, network: .sim)
        plan.seed = 7
        let results = SweepRunner.run(plan, on: SimulatedNetwork())
        let plots = GoodputPlots.build(results, summaries: ConditionSummary.summarize(results))
        #expect(plots.map(\.fileName) == ["goodput-vs-window.svg"])
        let structure = try SVGStructure(plots[0].svg)
        #expect(structure.texts.contains("window (packets, log scale)"))
        #expect(structure.texts.contains("64"))
    }

    @Test func svgEscapesText() throws {
        var document = SVGDocument(width: 10, height: 10)
        document.text("a < b & \"c\"", x: 1, y: 1)
        let structure = try SVGStructure(document.text)
        #expect(structure.texts == ["a < b & \"c\""])
    }

    @Test func scalesPickReadableTicks() {
        let linear = PlotScale(kind: .linear, covering: [0, 20], start: 0, end: 100)
        #expect(linear.ticks == [0, 5, 10, 15, 20])
        #expect(linear.position(10) == 50)
        let log = PlotScale(kind: .log(base: 10), covering: [0.12, 35], start: 100, end: 0)
        #expect(log.lower == 0.1 && log.upper == 100)
        #expect(log.ticks == [0.1, 1, 10, 100])
        #expect(abs(log.position(1) - 100 * 2 / 3) < 1e-9)
        let windows = PlotScale(kind: .log(base: 2), covering: [1, 256], start: 0, end: 80)
        #expect(windows.ticks == [1, 2, 4, 8, 16, 32, 64, 128, 256])
    }

    @Test("a time axis ends near its data: 1.54 s of data on an axis to 1.75 s, not 2 s")
    func anAxisDoesNotRunFarPastItsData() {
        let time = PlotScale(kind: .linear, covering: [0, 1.54], start: 0, end: 100)
        #expect(time.upper == 1.75)
        #expect(time.ticks == [0, 0.5, 1, 1.5])
        let round = PlotScale(kind: .linear, covering: [0, 1.9], start: 0, end: 100)
        #expect(round.upper == 2)
    }

    @Test func plotAxesDrawTheGridThenBothAxesWithTheirTicksAndTitles() throws {
        let x = PlotScale(kind: .linear, covering: [0, 20], start: 100, end: 300)
        let y = PlotScale(kind: .log(base: 10), covering: [1, 100], start: 200, end: 50)
        let axes = PlotAxes(left: 100, top: 50, right: 300, bottom: 200, xTitle: "time (s)", yTitle: "packets",
                            yGridColor: "#eee", xGridColor: "#fafafa", xTitleDrop: 40, yTitleGap: 50,
                            roleSuffix: " tail")
        var svg = SVGDocument(width: 400, height: 300)
        axes.draw(&svg, x: x, y: y)
        let structure = try SVGStructure(svg.text)
        #expect(structure.groupClasses == ["grid tail", "axis x-axis tail", "axis y-axis tail"])
        #expect(structure.texts == ["0", "5", "10", "15", "20", "time (s)", "1", "2", "5", "10", "20", "50", "100",
                                   "packets"])
        // The titles sit below the middle of the x axis and left of the middle of the y axis.
        #expect(svg.text.contains(#"<text x="200" y="240" font-size="13" text-anchor="middle""#))
        #expect(svg.text.contains(#"transform="rotate(-90 50 125)" class="axis-label">packets"#))
    }
}

/// What the SVG tests look for, read with Foundation's XML parser (which also proves the
/// document is well-formed XML).
final class SVGStructure: NSObject, XMLParserDelegate {
    private(set) var root: String?
    private(set) var groupClasses: [String] = []
    private(set) var texts: [String] = []
    private(set) var dashedPolylines = 0
    private var currentText: String?

    init(_ svg: String) throws {
        super.init()
        let parser = XMLParser(data: Data(svg.utf8))
        parser.delegate = self
        guard parser.parse() else {
            throw SweepError("SVG is not well-formed XML: \(parser.parserError.map { "\($0)" } ?? "unknown error")")
        }
    }

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        if root == nil { root = name }
        if name == "g", let role = attributes["class"] { groupClasses.append(role) }
        if name == "polyline", attributes["stroke-dasharray"] != nil { dashedPolylines += 1 }
        if name == "text" { currentText = "" }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        currentText? += string
    }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        if name == "text", let text = currentText {
            texts.append(text)
            currentText = nil
        }
    }
}
