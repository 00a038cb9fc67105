import CLIKit
import ImpairmentCLI

/// Everything a run of one lossproxy mode (relay or link) needs, as parsed from its command line.
public struct ProxyInvocation<Configuration: Sendable>: Sendable {
    /// The mode's configuration: where it relays, and how it impairs.
    public var configuration: Configuration
    /// Whether the seed was chosen at random (it is printed so the run can be repeated).
    public var seedWasRandom: Bool
    /// JSON on stdout instead of human lines on stderr.
    public var json: Bool
    /// Nothing on stderr but errors.
    public var quiet: Bool
    /// `--pcap FILE`: where to capture every datagram; nil for no capture.
    public var capturePath: String? = nil
    /// `--schedule FILE`, read and checked; nil without it.
    public var scheduleFile: ImpairmentScheduleFile? = nil

    /// Prints `program: line` on stderr, unless `--quiet`.
    func log(_ line: String, program: String) {
        if !quiet { Console.err("\(program): \(line)") }
    }

    /// Prints one statistics report: its JSON object on stdout with `--json`, else its human
    /// lines on stderr unless `--quiet`.
    func report(json report: @autoclosure () -> JSONValue, humanLines: @autoclosure () -> [String]) {
        if json {
            Console.out(report().jsonText)
        } else if !quiet {
            for line in humanLines() { Console.err(line) }
        }
    }
}
