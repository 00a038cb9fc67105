import CLIKit
import Foundation

/// Writes a finished sweep into its directory: results.csv, summary.json, the SVG plots and
/// README.md.
public enum SweepReport {
    /// The files written, by name.
    public static let csvName = "results.csv"
    public static let summaryName = "summary.json"
    public static let readmeName = "README.md"

    /// Writes everything and returns the paths written.
    @discardableResult
    public static func write(_ results: SweepResults, description: SweepDescription, to directory: String) throws -> [String] {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let summaries = ConditionSummary.summarize(results)
        let plots = GoodputPlots.build(results, summaries: summaries)
        var files: [(String, String)] = [(csvName, ResultsCSV.text(results.records))]
        let summary = SummaryJSON.value(results, summaries: summaries, description: description, plots: plots)
        files.append((summaryName, PrettyJSON.text(summary)))
        for plot in plots { files.append((plot.fileName, plot.svg)) }
        files.append((readmeName, ExperimentReadme.text(results, summaries: summaries, description: description,
                                                        plots: plots)))
        return try write(files, into: directory)
    }

    /// Writes each (file name, text) into `directory`, which exists, and returns the paths in
    /// order; every report (`why-udp`'s too) writes its files this way.
    static func write(_ files: [(String, String)], into directory: String) throws -> [String] {
        var written: [String] = []
        for (name, text) in files {
            let path = directory + "/" + name
            do {
                try text.write(toFile: path, atomically: true, encoding: .utf8)
            } catch {
                throw SweepError("cannot write \(path): \(error.localizedDescription)")
            }
            written.append(path)
        }
        return written
    }
}
