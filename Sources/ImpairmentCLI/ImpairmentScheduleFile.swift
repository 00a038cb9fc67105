import CLIKit
import Foundation
import Impairment

/// `--schedule FILE`: impairments over time, one change per line,
///
///     # time since start, then impairment flags without their dashes
///     0s   loss 0%
///     10s  loss 20% delay 50ms
///     20s  reverse-loss 5% jitter 2ms jitter-distribution pareto
///
/// Each line's flags apply over the command line's (not over the previous line): at 20 s above
/// the loss and delay are the command line's again. `#` starts a comment; blank lines are skipped.
/// Reading it again (`load()`, on SIGHUP) gives the schedule as the file says then.
public struct ImpairmentScheduleFile: Sendable {
    /// The file's path as given.
    public let path: String
    /// The program name for messages.
    public let program: String
    /// The command line's configurations, which every line starts from.
    public let baseForward: ImpairmentConfig
    /// See `baseForward`.
    public let baseReverse: ImpairmentConfig

    /// The schedule as the file said when it was first read.
    public private(set) var initial: ImpairmentSchedule

    /// Reads the file at `path`. Throws `UsageError` naming the file (and line) at fault.
    public init(path: String, program: String, baseForward: ImpairmentConfig,
                baseReverse: ImpairmentConfig) throws(UsageError) {
        self.path = path
        self.program = program
        self.baseForward = baseForward
        self.baseReverse = baseReverse
        initial = ImpairmentSchedule(baseForward: baseForward, baseReverse: baseReverse, changes: [])
        initial = try load()
    }

    /// Reads and parses the file. Throws `UsageError` naming the file (and line) at fault.
    public func load() throws(UsageError) -> ImpairmentSchedule {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw UsageError(program: program, message: "--schedule \(path): cannot read the file", suggestsHelp: false)
        }
        return try parse(text)
    }

    /// Parses the text of this schedule file (see the type's description).
    public func parse(_ text: String) throws(UsageError) -> ImpairmentSchedule {
        try Self.parse(text, path: path, program: program, baseForward: baseForward, baseReverse: baseReverse)
    }

    /// Parses the text of a schedule file over the base configurations; `path` and `program`
    /// are for messages.
    public static func parse(
        _ text: String, path: String, program: String, baseForward: ImpairmentConfig, baseReverse: ImpairmentConfig
    ) throws(UsageError) -> ImpairmentSchedule {
        var spec = CommandSpec(name: program, summary: "")
        let options = ImpairmentOptions(declaringOn: &spec)
        let names = ImpairmentOptions.lineFlagNames
        var changes: [ImpairmentSchedule.Change] = []
        for (offset, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = String(rawLine.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" }).map(String.init)
            guard let timeWord = words.first else { continue }
            func failure(_ message: String) -> UsageError {
                UsageError(program: program, message: "--schedule \(path):\(offset + 1): \(message)", suggestsHelp: false)
            }
            let at: UInt64
            do {
                at = try DurationValue.parse(timeWord).nanoseconds
            } catch {
                throw failure("'\(timeWord)' is not a time since the start (e.g. 0s, 10s, 1.5s)")
            }
            guard words.count > 1 else { throw failure("no impairments after \(timeWord) (e.g. \(timeWord) loss 20%)") }
            var arguments: [String] = []
            for word in words.dropFirst() {
                let bare = word.hasPrefix("--") ? String(word.dropFirst(2)) : word
                arguments.append(names.contains(bare) ? "--" + bare : word)
            }
            guard arguments.first?.hasPrefix("--") == true else {
                throw failure("'\(words[1])' is not an impairment (e.g. loss, delay, jitter, rate)")
            }
            do {
                let parsed = try spec.parse([program] + arguments)
                let (forward, reverse) = try options.configurations(from: parsed, over: (baseForward, baseReverse))
                changes.append(.init(at: at, forward: forward, reverse: reverse,
                                     text: words.dropFirst().joined(separator: " ")))
            } catch let error as UsageError {
                throw failure(error.message)
            } catch {
                throw failure("\(error)")
            }
        }
        return ImpairmentSchedule(baseForward: baseForward, baseReverse: baseReverse, changes: changes)
    }
}
