import CLIKit
import Foundation

/// results/README.md: an index of every experiment directory under results/, with its title,
/// command, date and headline plot. Rebuilt by `rudp-lab report`.
public enum ResultsIndex {
    /// What the index shows of one experiment directory.
    public struct Entry: Sendable, Equatable {
        public var directory: String
        public var title: String
        /// The commands that produced it, in order (a comparison runs more than one).
        public var commands: [String]
        /// The first command, if any.
        public var command: String? { commands.first }
        public var date: String?
        public var network: String?
        /// The first plot, relative to the experiment directory (only one that exists).
        public var headlinePlot: String?
        /// Whether the directory has a README.md to link to (a malformed or unfinished one may not).
        public var hasReadme = true

        /// Where the index links the experiment: its README, or the directory itself.
        var link: String { hasReadme ? directory + "/" + SweepReport.readmeName : directory + "/" }
    }

    /// Reads every subdirectory of `resultsDirectory` that holds a summary.json or a README.md.
    public static func entries(in resultsDirectory: String) throws -> [Entry] {
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        guard manager.fileExists(atPath: resultsDirectory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw SweepError("\(resultsDirectory): no such directory (run a sweep with --out \(resultsDirectory)/NAME first)")
        }
        let names = try manager.contentsOfDirectory(atPath: resultsDirectory).sorted()
        return names.compactMap { name in
            let path = resultsDirectory + "/" + name
            var isSubdirectory: ObjCBool = false
            guard !name.hasPrefix("."), manager.fileExists(atPath: path, isDirectory: &isSubdirectory),
                  isSubdirectory.boolValue else { return nil }
            return entry(directory: name, path: path)
        }
    }

    static func entry(directory: String, path: String) -> Entry? {
        guard var entry = describedEntry(directory: directory, path: path) else { return nil }
        // Link only to what is there: a summary.json without its README, a README naming a
        // plot never drawn, would otherwise give the index dead links.
        let manager = FileManager.default
        entry.hasReadme = manager.fileExists(atPath: path + "/" + SweepReport.readmeName)
        if let plot = entry.headlinePlot, !manager.fileExists(atPath: path + "/" + plot) { entry.headlinePlot = nil }
        return entry
    }

    private static func describedEntry(directory: String, path: String) -> Entry? {
        if let text = try? String(contentsOfFile: path + "/" + SweepReport.summaryName, encoding: .utf8),
           let summary = try? JSONValue(parsing: text) {
            return Entry(directory: directory, title: summary["title"]?.stringValue ?? directory,
                         commands: summary["command"]?.stringValue.map { [$0] } ?? [], date: summary["date"]?.stringValue,
                         network: summary["network"]?.stringValue,
                         headlinePlot: summary["plots"]?.arrayValue?.first?.stringValue)
        }
        // Experiments written by other commands: take the README's heading and first image.
        guard let readme = try? String(contentsOfFile: path + "/" + SweepReport.readmeName, encoding: .utf8) else {
            return nil
        }
        let lines = readme.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let title = lines.first { $0.hasPrefix("# ") }.map { String($0.dropFirst(2)) } ?? directory
        let image = lines.lazy.compactMap { line -> String? in
            guard let open = line.range(of: "]("), line.hasPrefix("!["), let close = line.lastIndex(of: ")") else { return nil }
            return String(line[open.upperBound..<close])
        }.first
        // The first code block's rudp-lab lines, if it opens with one.
        var commands: [String] = []
        if let fence = lines.firstIndex(where: { $0.hasPrefix("```") }) {
            commands = Array(lines[(fence + 1)...].prefix { $0.hasPrefix("rudp-lab") })
        }
        return Entry(directory: directory, title: title, commands: commands, date: nil, network: nil, headlinePlot: image)
    }

    /// The index's Markdown.
    public static func text(_ entries: [Entry]) -> String {
        var lines = ["# Results", ""]
        lines.append("Every experiment here was produced by the lab's own commands; nothing in these directories "
            + "is edited by hand. Each holds `results.csv` (one row per run), `summary.json`, the plots and a README "
            + "with the exact command, the environment and a reading of the numbers. This index is rebuilt by "
            + "`rudp-lab report`.")
        lines.append("")
        if entries.isEmpty {
            lines.append("No experiments yet: run `rudp-lab sweep --out results/NAME`, then `rudp-lab report`.")
            lines.append("")
            return lines.joined(separator: "\n")
        }
        lines.append("| experiment | network | date | command |")
        lines.append("|---|---|---|---|")
        for entry in entries {
            let command = entry.commands.isEmpty ? "–" : entry.commands.map { "`\($0)`" }.joined(separator: "<br>")
            let missing = entry.hasReadme ? "" : " (no README)"
            lines.append("| [\(entry.title)](\(entry.link))\(missing) | \(entry.network ?? "–") | "
                + "\(entry.date ?? "–") | \(command) |")
        }
        lines.append("")
        for entry in entries {
            lines.append("## [\(entry.title)](\(entry.link))")
            lines.append("")
            if !entry.commands.isEmpty {
                lines.append("```")
                lines.append(contentsOf: entry.commands)
                lines.append("```")
                lines.append("")
            }
            if let plot = entry.headlinePlot {
                lines.append("[![\(entry.title)](\(entry.directory)/\(plot))](\(entry.link))")
                lines.append("")
            }
        }
        return lines.joined(separator: "\n")
    }

    /// Rebuilds `resultsDirectory`/README.md and returns its path and the number of experiments.
    @discardableResult
    public static func rebuild(_ resultsDirectory: String) throws -> (path: String, count: Int) {
        let found = try entries(in: resultsDirectory)
        let path = resultsDirectory + "/" + SweepReport.readmeName
        do {
            try text(found).write(toFile: path, atomically: true, encoding: .utf8)
        } catch {
            throw SweepError("cannot write \(path): \(error.localizedDescription)")
        }
        return (path, found.count)
    }
}
