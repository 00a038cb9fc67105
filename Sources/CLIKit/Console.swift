#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Line output for the programs: results on stdout, everything human on stderr, never buffered.
///
/// Use these instead of `print`, which buffers stdout when it is a pipe: a parent process
/// (rudp-lab reading a child's `--json`) must receive every line the moment it is complete.
public enum Console {
    /// Writes one line to stdout (a newline is appended) with a single write(2).
    public static func out(_ line: String) {
        FileDescriptorSink.standardOutput.write(line + "\n")
    }

    /// Writes one line to stderr (a newline is appended) with a single write(2).
    public static func err(_ line: String) {
        FileDescriptorSink.standardError.write(line + "\n")
    }

    /// Whether stderr is an interactive terminal (the condition for showing progress).
    public static var stderrIsTerminal: Bool { isatty(2) == 1 }
}
