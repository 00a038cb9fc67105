extension CommandSpec {
    /// Parses a whole command line (`commandLine[0]` is the program path and is skipped, as in
    /// `CommandLine.arguments`) into typed values.
    ///
    /// Throws `ProgramExit` (status 0, help or version text) for `--help`, `-h` and `--version`,
    /// and `UsageError` for every mistake, with a one-line message naming it.
    public func parse(_ commandLine: [String]) throws -> ParsedArguments {
        try parse(commandLine, raw: nil)
    }

    /// Parses the command line as the kernel gave it (`RawCommandLine.arguments`): values are
    /// parsed from their text as `parse(_:)` does, and `ParsedArguments.bytes(of:)` gives each
    /// one's exact bytes, for paths and names that are not valid UTF-8.
    public func parse(rawCommandLine: [[UInt8]]) throws -> ParsedArguments {
        try parse(rawCommandLine.map { String(decoding: $0, as: UTF8.self) }, raw: rawCommandLine)
    }

    private func parse(_ commandLine: [String], raw: [[UInt8]]?) throws -> ParsedArguments {
        let arguments = Array(commandLine.dropFirst())
        let rawArguments = raw.map { Array($0.dropFirst()) }
        var rawValues = [[UInt8]?](repeating: nil, count: slotCount)
        var rawPositionals: [[UInt8]] = []
        var texts = [String?](repeating: nil, count: slotCount)
        var flagsGiven = [Bool](repeating: false, count: slotCount)
        var positionalTexts: [String] = []
        // The first mistake is reported, but scanning goes on: `--help` anywhere wins.
        var firstError: UsageError? = nil
        var optionsEnded = false
        var index = 0

        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if optionsEnded || argument == "-" || !argument.hasPrefix("-") {
                positionalTexts.append(argument)
                if let rawArguments { rawPositionals.append(rawArguments[index - 1]) }
                continue
            }
            if argument == "--" {
                optionsEnded = true
                continue
            }
            if argument == "--help" || argument == "-h" {
                throw ProgramExit(code: ExitCode.success, output: helpText)
            }
            if argument == "--version" {
                throw ProgramExit(code: ExitCode.success, output: versionText)
            }
            guard firstError == nil else { continue }

            let (declaration, inlineValue) = lookUp(argument)
            guard let declaration else {
                firstError = usageError(unknownOptionMessage(argument))
                continue
            }
            let spelled = spelling(of: argument, inlineValue: inlineValue)
            if declaration.isFlag {
                if inlineValue != nil {
                    firstError = usageError("option '\(spelled)' does not take a value")
                } else {
                    flagsGiven[declaration.slot] = true
                }
                continue
            }
            var value = inlineValue
            var rawValue = inlineValue.flatMap { _ in
                // The value is what follows the option's own ASCII spelling (`--name=`, `-n`).
                rawArguments.map { Array($0[index - 1].dropFirst(spelled.utf8.count + (argument.hasPrefix("--") ? 1 : 0))) }
            }
            // A following word that looks like another long option is not taken as the value,
            // so `--name --json` reports the missing name instead of sending a file named --json.
            if value == nil, index < arguments.count, !arguments[index].hasPrefix("--") {
                value = arguments[index]
                rawValue = rawArguments?[index]
                index += 1
            }
            guard let value else {
                firstError = usageError(
                    "option '\(spelled)' needs a value: \(spelled) \(declaration.placeholder ?? "VALUE")")
                continue
            }
            texts[declaration.slot] = value
            rawValues[declaration.slot] = rawValue
        }
        if let firstError { throw firstError }

        var values = [Any](repeating: (), count: slotCount)
        var given = [Bool](repeating: false, count: slotCount)
        try assignPositionals(positionalTexts, into: &values, given: &given)
        for (position, declaration) in positionals.enumerated() where position < rawPositionals.count {
            rawValues[declaration.slot] = rawPositionals[position]
        }
        for declaration in options {
            let slot = declaration.slot
            if declaration.isFlag {
                values[slot] = flagsGiven[slot]
                given[slot] = flagsGiven[slot]
                continue
            }
            if let text = texts[slot] {
                values[slot] = try parseValue(text, label: "--" + declaration.long, with: declaration.parse!)
                given[slot] = true
                continue
            }
            switch declaration.absence {
            case .absentValue(let value):
                values[slot] = value
            case .defaultText(let text):
                do {
                    values[slot] = try declaration.parse!(text)
                } catch {
                    preconditionFailure("\(name): default '\(text)' of --\(declaration.long) does not parse: \(error)")
                }
            case .required:
                throw usageError(
                    "missing required option --\(declaration.long) \(declaration.placeholder ?? "VALUE")")
            }
        }
        return ParsedArguments(values: values, given: given, rawValues: rawValues)
    }

    /// `rudp-send 0.1.0` (the root program's name for subcommands).
    public var versionText: String {
        let program = name.split(separator: " ").first.map(String.init) ?? name
        return "\(program) \(RUDPLabVersion.current)"
    }

    private func assignPositionals(
        _ texts: [String], into values: inout [Any], given: inout [Bool]
    ) throws {
        for (position, declaration) in positionals.enumerated() {
            guard position < texts.count else {
                guard declaration.isOptional else {
                    throw usageError("missing argument \(declaration.name)")
                }
                values[declaration.slot] = declaration.absentValue
                continue
            }
            values[declaration.slot] = try parseValue(
                texts[position], label: declaration.name, with: declaration.parse)
            given[declaration.slot] = true
        }
        if texts.count > positionals.count {
            let extra = texts[positionals.count]
            let hint = extra.hasPrefix("-") && extra != "-" ? " (after '--' everything is an argument)" : ""
            throw usageError("unexpected argument '\(extra)'\(hint)")
        }
    }

    private func parseValue(
        _ text: String, label: String, with parse: (String) throws -> Any
    ) throws -> Any {
        do {
            return try parse(text)
        } catch let error as UsageError {
            throw error
        } catch {
            let reason = String(describing: error)
            throw UsageError(program: name, message: "\(label): \(reason)", suggestsHelp: false)
        }
    }

    /// The declaration an argument names, and the value after `=` if any.
    private func lookUp(_ argument: String) -> (OptionDeclaration?, String?) {
        if argument.hasPrefix("--") {
            let body = argument.dropFirst(2)
            if let equals = body.firstIndex(of: "=") {
                let long = String(body[..<equals])
                let value = String(body[body.index(after: equals)...])
                return (options.first { $0.long == long }, value)
            }
            return (options.first { $0.long == body }, nil)
        }
        // Short alias: `-w 64` or `-w64`.
        let letters = argument.dropFirst()
        guard let letter = letters.first,
            let declaration = options.first(where: { $0.short == letter })
        else { return (nil, nil) }
        if letters.count == 1 { return (declaration, nil) }
        // `-qj` style bundles are not supported; only a value may follow a short option.
        return declaration.isFlag ? (nil, nil) : (declaration, String(letters.dropFirst()))
    }

    /// The option as the user wrote it, without any attached value.
    private func spelling(of argument: String, inlineValue: String?) -> String {
        guard let inlineValue else { return argument }
        if argument.hasPrefix("--") { return String(argument.dropLast(inlineValue.count + 1)) }
        return String(argument.prefix(2))
    }

    private func unknownOptionMessage(_ argument: String) -> String {
        let written = String(argument.split(separator: "=", maxSplits: 1).first ?? Substring(argument))
        var message = "unknown option '\(written)'"
        let candidates = options.map { "--" + $0.long } + ["--help", "--version"]
        if !written.hasPrefix("--"), candidates.contains("-" + written) {
            message += "; did you mean '-\(written)'?"
        } else if let suggestion = closestName(to: written, among: candidates) {
            message += "; did you mean '\(suggestion)'?"
        }
        return message
    }

    func usageError(_ message: String) -> UsageError {
        UsageError(program: name, message: message)
    }
}

/// The candidate within a small edit distance of `word`, for "did you mean" hints.
func closestName(to word: String, among candidates: [String]) -> String? {
    let limit = max(1, min(2, word.count / 4))
    var best: (name: String, distance: Int)? = nil
    for candidate in candidates {
        let distance = editDistance(word, candidate)
        if distance <= limit, distance < (best?.distance ?? Int.max) {
            best = (candidate, distance)
        }
    }
    return best?.name
}

/// Edit distance counting an insertion, deletion, substitution or swap of neighbours as one
/// (optimal string alignment), so that the typo `tpc` is one step from `tcp`.
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var beforePrevious = [Int](repeating: 0, count: b.count + 1)
    var previous = Array(0...b.count)
    var current = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
        current[0] = i
        for j in 1...b.count {
            let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
            current[j] = min(previous[j] + 1, current[j - 1] + 1, substitution)
            if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                current[j] = min(current[j], beforePrevious[j - 2] + 1)
            }
        }
        (beforePrevious, previous, current) = (previous, current, beforePrevious)
    }
    return previous[b.count]
}
