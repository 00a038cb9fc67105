#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Runs a program's body and turns whatever it throws into one stderr line and an exit status.
///
/// - `ProgramExit`: prints its output on stdout, exits with its code (help, version, quiet exits).
/// - `UsageError`: prints its line on stderr, exits 2.
/// - any other error: prints `name: <one line>` on stderr, exits 1. The line is the error's
///   `description` (every layer's error type is `CustomStringConvertible` by convention).
/// Returning normally exits 0. Never prints a stack trace.
public func runMain(name: String, _ body: () throws -> Void) -> Never {
    var status: Int32
    do {
        try body()
        status = ExitCode.success
    } catch {
        status = reportError(error, program: name)
    }
    if status == ExitCode.success, let lost = outputFailureLine(program: name) {
        // Help, a summary or JSON that never reached its reader is a failed run, not a success.
        if !lost.isEmpty { Console.err(lost) }
        status = ExitCode.failure
    }
    exitFlushingOutput(status)
}

/// The line that says standard output lost text (`rudp-send --json > /dev/full`), or nil when
/// nothing was lost; empty for a reader that left (EPIPE, `| head -1`): no error worth a line,
/// yet no success either.
func outputFailureLine(program: String) -> String? {
    guard let code = FileDescriptorSink.standardOutput.firstWriteFailure else { return nil }
    if code == EPIPE { return "" }
    return "\(program): cannot write to standard output: \(String(cString: strerror(code)))"
}

/// Prints what `runMain` prints for `error` and returns the exit status it would use.
/// Exposed for programs that handle errors inside a loop (rudp-recv serving many transfers).
@discardableResult
public func reportError(_ error: any Error, program: String) -> Int32 {
    switch error {
    case let exit as ProgramExit:
        if !exit.output.isEmpty {
            FileDescriptorSink.standardOutput.write(
                exit.output.hasSuffix("\n") ? exit.output : exit.output + "\n")
        }
        return exit.code
    case let usage as UsageError:
        Console.err(usage.description)
        return ExitCode.usage
    default:
        Console.err(failureLine(for: error, program: program))
        return ExitCode.failure
    }
}

/// The single line shown for a failure: `program: description`, first line only.
public func failureLine(for error: any Error, program: String) -> String {
    let text = readableDescription(of: error)
    let firstLine = text.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
    let line = firstLine.isEmpty ? "failed (\(type(of: error)))" : firstLine
    return line.hasPrefix(program + ": ") ? line : "\(program): \(line)"
}

/// An error's user-facing text. Our own errors are `CustomStringConvertible`; Foundation's file
/// errors describe themselves as `Error Domain=NSCocoaErrorDomain Code=260 …`, so they are
/// rewritten as `PATH: No such file or directory`.
private func readableDescription(of error: any Error) -> String {
    if let posix = error as? POSIXError {
        return String(cString: strerror(posix.code.rawValue))
    }
    if let cocoa = error as? CocoaError {
        let reason: String
        if let underlying = cocoa.underlying as? POSIXError {
            reason = String(cString: strerror(underlying.code.rawValue))
        } else if let underlying = cocoa.userInfo[NSUnderlyingErrorKey] as? NSError,
            underlying.domain == NSPOSIXErrorDomain
        {
            reason = String(cString: strerror(Int32(underlying.code)))
        } else {
            reason = withoutFoundationPreamble(cocoa.localizedDescription)
        }
        let path = cocoa.filePath ?? cocoa.url?.path
        return path.map { "\($0): \(reason)" } ?? reason
    }
    if type(of: error) is NSError.Type {
        return withoutFoundationPreamble(error.localizedDescription)
    }
    return String(describing: error)
}

private func withoutFoundationPreamble(_ text: String) -> String {
    let preamble = "The operation could not be completed. "
    return text.hasPrefix(preamble) ? String(text.dropFirst(preamble.count)) : text
}

private func exitFlushingOutput(_ status: Int32) -> Never {
    // Flush stdio too, in case some code path used print().
    fflush(nil)
    exit(status)
}
