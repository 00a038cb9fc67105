import CLIKit

extension CommandSpec {
    /// Declares `flag` without a default (absent reads as nil), with its own help sentence
    /// unless `help` words it for this command.
    public mutating func option<Value>(
        _ flag: ImpairmentFlag<Value>, defaultHelp: String? = nil, help: String? = nil, hidden: Bool = false
    ) -> OptionKey<Value?> {
        option(flag.name, placeholder: flag.placeholder, defaultHelp: defaultHelp, help: help ?? flag.help,
               hidden: hidden, parse: flag.parse)
    }

    /// Declares `flag` with a default, given as the text a user would type (`"10%"`, `"10ms"`).
    public mutating func option<Value>(
        _ flag: ImpairmentFlag<Value>, default defaultText: String, help: String? = nil
    ) -> OptionKey<Value> {
        option(flag.name, placeholder: flag.placeholder, default: defaultText, help: help ?? flag.help, parse: flag.parse)
    }

    /// Declares `flag` as a comma-separated list of its values (a sweep's axis), at least one.
    public mutating func listOption<Value>(
        _ flag: ImpairmentFlag<Value>, placeholder: String, default defaultText: String, help: String
    ) -> OptionKey<[Value]> {
        option(flag.name, placeholder: placeholder, default: defaultText, help: help) { text in
            let values = try ValueParsers.list(flag.parse)(text)
            guard !values.isEmpty else { throw ValueError("'\(text)' lists nothing") }
            return values
        }
    }
}
