#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// A child program of a sweep (rudp-recv, lossproxy, rudp-send) with its stdout and stderr
/// captured line by line, so the lab can wait for "listening on …" and read `--json` output.
final class LaunchedProgram {
    let name: String
    private let process = Process()
    private let stdoutPipe = Pipe()
    private let stderrPipe = Pipe()
    private var stdoutBuffer: [UInt8] = []
    private var stderrBuffer: [UInt8] = []
    private var stdoutClosed = false
    private var stderrClosed = false
    /// Complete lines read so far.
    private(set) var stdoutLines: [String] = []
    private(set) var stderrLines: [String] = []

    /// Starts `path` with `arguments`; throws a one-line error if it cannot be started.
    init(path: String, arguments: [String]) throws {
        name = URL(fileURLWithPath: path).lastPathComponent
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = stdoutPipe
        process.standardError = stderrPipe
        do {
            try process.run()
        } catch {
            throw SweepError("cannot start \(path): \(error.localizedDescription)")
        }
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    var isRunning: Bool { process.isRunning }

    /// The exit status once the program has exited.
    var exitStatus: Int32? { process.isRunning ? nil : process.terminationStatus }

    /// Waits up to `timeout` seconds for a stderr line matching `predicate`, reading both
    /// streams meanwhile; returns the line, or nil if the program exited or time ran out.
    func waitForStderrLine(timeout: Double, where predicate: (String) -> Bool) -> String? {
        waitForLine(timeout: timeout, streams: [\.stderrLines], where: predicate)
    }

    /// The same on either stream (programs that print their "up" line on stdout).
    func waitForAnyLine(timeout: Double, where predicate: (String) -> Bool) -> String? {
        waitForLine(timeout: timeout, streams: [\.stdoutLines, \.stderrLines], where: predicate)
    }

    private func waitForLine(timeout: Double, streams: [KeyPath<LaunchedProgram, [String]>],
                             where predicate: (String) -> Bool) -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        var checked = [Int](repeating: 0, count: streams.count)
        while true {
            for (index, stream) in streams.enumerated() {
                let lines = self[keyPath: stream]
                while checked[index] < lines.count {
                    defer { checked[index] += 1 }
                    if predicate(lines[checked[index]]) { return lines[checked[index]] }
                }
            }
            if Date() >= deadline || (stdoutClosed && stderrClosed) { return nil }
            pump(milliseconds: 50)
        }
    }

    /// Waits up to `timeout` seconds for the program to exit, reading its output; kills it when
    /// time runs out. Returns the exit status, or nil if it had to be killed.
    @discardableResult
    func waitForExit(timeout: Double) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline {
            pump(milliseconds: 50)
        }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            drainRemaining()
            return nil
        }
        process.waitUntilExit()
        drainRemaining()
        return process.terminationStatus
    }

    /// Asks the program to stop (SIGTERM) and waits a little; then kills it.
    func stop(timeout: Double = 3) {
        if process.isRunning { kill(process.processIdentifier, SIGTERM) }
        waitForExit(timeout: timeout)
    }

    /// The last stderr line that says something, for failure messages.
    var lastError: String? {
        stderrLines.last { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
    }

    private func drainRemaining() {
        var rounds = 0
        while !(stdoutClosed && stderrClosed) && rounds < 40 {
            pump(milliseconds: 25)
            rounds += 1
        }
    }

    /// Waits up to `milliseconds` for output and reads what is there.
    private func pump(milliseconds: Int32) {
        let out = stdoutPipe.fileHandleForReading.fileDescriptor
        let err = stderrPipe.fileHandleForReading.fileDescriptor
        var entries: [pollfd] = []
        if !stdoutClosed { entries.append(pollfd(fd: out, events: Int16(POLLIN), revents: 0)) }
        if !stderrClosed { entries.append(pollfd(fd: err, events: Int16(POLLIN), revents: 0)) }
        guard !entries.isEmpty else {
            usleep(UInt32(milliseconds) * 1000)
            return
        }
        guard poll(&entries, nfds_t(entries.count), milliseconds) > 0 else { return }
        for entry in entries where entry.revents != 0 {
            if entry.fd == out {
                stdoutClosed = !Self.readLines(entry.fd, buffer: &stdoutBuffer, into: &stdoutLines)
            } else {
                stderrClosed = !Self.readLines(entry.fd, buffer: &stderrBuffer, into: &stderrLines)
            }
        }
    }

    /// Reads one chunk; false at end of stream (a last unterminated line is kept).
    private static func readLines(_ descriptor: Int32, buffer: inout [UInt8], into lines: inout [String]) -> Bool {
        var chunk = [UInt8](repeating: 0, count: 16_384)
        var count: Int
        repeat {
            count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        } while count < 0 && errno == EINTR
        if count > 0 { buffer += chunk[..<count] }
        while let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
            lines.append(String(decoding: buffer[..<newline], as: UTF8.self))
            buffer.removeSubrange(...newline)
        }
        if count <= 0 {
            if !buffer.isEmpty {
                lines.append(String(decoding: buffer, as: UTF8.self))
                buffer.removeAll()
            }
            return false
        }
        return true
    }
}

/// A failure of the sweep machinery itself (a program missing, a link that cannot be set up),
/// as opposed to a transfer that failed; its description is the one line the user sees.
public struct SweepError: Error, CustomStringConvertible, Sendable, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
