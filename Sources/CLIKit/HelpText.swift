/// Lays out `--help` text: wrapped to 80 columns, option names in a left column, help beside them.
struct HelpLayout {
    static let width = 80
    /// Left columns wider than this put their help on the next line.
    static let maximumNameColumn = 30

    var lines: [String] = []
    /// The name column width shared by every table, so Arguments and Options line up.
    var nameWidth = 0

    /// Widens the shared name column to fit `names` (up to the maximum).
    mutating func fit(_ names: [String]) {
        nameWidth = min(max(nameWidth, names.map(\.count).max() ?? 0), HelpLayout.maximumNameColumn)
    }

    mutating func blank() {
        if lines.last != "" { lines.append("") }
    }

    mutating func paragraph(_ text: String, indent: Int = 0) {
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let leading = line.prefix { $0 == " " }.count
            let pad = String(repeating: " ", count: indent + leading)
            let wrapped = HelpLayout.wrap(String(line.dropFirst(leading)), width: HelpLayout.width - indent - leading)
            lines += wrapped.map { $0.isEmpty ? "" : pad + $0 }
        }
    }

    /// Rows of (name column, help) under a heading.
    mutating func table(_ heading: String, rows: [(String, String)]) {
        guard !rows.isEmpty else { return }
        blank()
        lines.append(heading + ":")
        fit(rows.map(\.0))
        let helpColumn = 2 + nameWidth + 2
        let helpWidth = max(HelpLayout.width - helpColumn, 30)
        for (name, help) in rows {
            let wrapped = HelpLayout.wrap(help, width: helpWidth)
            let margin = String(repeating: " ", count: helpColumn)
            var first = "  " + name
            var rest = wrapped[...]
            if name.count <= nameWidth, let head = rest.first {
                first += String(repeating: " ", count: nameWidth - name.count + 2) + head
                rest = rest.dropFirst()
            }
            lines.append(first)
            lines += rest.map { margin + $0 }
        }
    }

    /// The closing "Examples:" section; an explained example is set apart by a blank line.
    mutating func examples(_ examples: [HelpExample]) {
        guard !examples.isEmpty else { return }
        blank()
        lines.append("Examples:")
        for (position, example) in examples.enumerated() {
            if let explanation = example.explanation {
                if position > 0 { blank() }
                // Every wrapped line keeps its "# ": a pasted example must not run its comment.
                let pad = "  # "
                lines += HelpLayout.wrap(explanation, width: HelpLayout.width - pad.count).map { pad + $0 }
            }
            lines.append("  " + example.command)
        }
    }

    var text: String { lines.joined(separator: "\n") + "\n" }

    /// Greedy word wrap; words longer than the width stay whole on their own line.
    static func wrap(_ text: String, width: Int) -> [String] {
        var result: [String] = []
        var current = ""
        for word in text.split(separator: " ") {
            if current.isEmpty {
                current = String(word)
            } else if current.count + 1 + word.count <= width {
                current += " " + word
            } else {
                result.append(current)
                current = String(word)
            }
        }
        result.append(current)
        return result
    }
}

extension CommandSpec {
    /// The full `--help` text: usage, description, arguments, every visible option with its help
    /// and default, subcommands, and examples.
    public var helpText: String {
        var layout = HelpLayout()
        layout.lines.append("Usage: " + usageLines.joined(separator: "\n       "))
        layout.blank()
        layout.paragraph(summary)
        if !discussion.isEmpty {
            layout.blank()
            layout.paragraph(discussion)
        }
        var tables: [(heading: String, rows: [(String, String)])] = [
            ("Commands", subcommands.map { ($0.name, $0.summary) }),
            ("Arguments", positionals.map { ($0.name, $0.help) }),
        ]
        var sections: [String?] = [nil]
        for option in options where !option.hidden && !sections.contains(option.section) {
            sections.append(option.section)
        }
        for section in sections {
            var rows = options.filter { !$0.hidden && $0.section == section }.map(helpRow)
            if section == nil {
                rows.append(("-h, --help", "Show this help and exit"))
                rows.append(("    --version", "Show the version and exit"))
            }
            tables.append((section ?? "Options", rows))
        }
        for table in tables { layout.fit(table.rows.map(\.0)) }
        for table in tables { layout.table(table.heading, rows: table.rows) }

        layout.examples(examples)
        return layout.text
    }

    /// The usage line(s), as given or generated from the positionals.
    var usageLines: [String] {
        if let usage { return usage.split(separator: "\n").map(String.init) }
        var line = name
        for positional in positionals {
            line += positional.isOptional ? " [\(positional.name)]" : " \(positional.name)"
        }
        line += " [options]"
        var result = [line]
        if !subcommands.isEmpty { result.append("\(name) COMMAND [options]") }
        return result
    }

    private func helpRow(_ option: OptionDeclaration) -> (String, String) {
        var name = option.short.map { "-\($0), " } ?? "    "
        name += "--" + option.long
        if let placeholder = option.placeholder { name += " " + placeholder }
        var help = option.help
        if let defaultHelp = option.defaultHelp { help += " (default: \(defaultHelp))" }
        return (name, help)
    }
}
