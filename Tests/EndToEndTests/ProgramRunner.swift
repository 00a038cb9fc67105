import Foundation
import Synchronization
import Testing

/// Runs the package's built executables (they sit next to the test bundle) as real processes.
enum ProgramRunner {
    /// The build directory holding the executables.
    static let buildDirectory: URL = {
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var directory = executable.deletingLastPathComponent()
        // The test binary may sit inside a bundle directory (…/x.xctest/…); climb to the build dir.
        while !FileManager.default.fileExists(atPath: directory.appendingPathComponent("rudp-send").path),
              directory.path != "/" {
            directory = directory.deletingLastPathComponent()
        }
        return directory
    }()

    static func url(of program: String) -> URL { buildDirectory.appendingPathComponent(program) }

    /// The result of a finished run.
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
        var seconds: Double
    }

    /// Runs `program` to completion (killing it after `timeout` seconds) and collects its output.
    static func run(_ program: String, _ arguments: [String], timeout: Double = 60, stdin: Data? = nil) throws -> Result {
        try run(executable: url(of: program), arguments, timeout: timeout, stdin: stdin)
    }

    /// Runs `script` with `/bin/sh -c`, `$1`… being `arguments`: how a test passes arguments
    /// that are not valid UTF-8 (`"$(printf 'caf\351')"`), which `Process` cannot.
    static func runShell(_ script: String, _ arguments: [String], directory: URL? = nil, timeout: Double = 60) throws -> Result {
        try run(executable: URL(fileURLWithPath: "/bin/sh"), ["-c", script, "sh"] + arguments, directory: directory,
                timeout: timeout)
    }

    static func run(executable: URL, _ arguments: [String], directory: URL? = nil, timeout: Double = 60,
                    stdin: Data? = nil) throws -> Result {
        let program = executable.lastPathComponent
        let process = Process()
        process.executableURL = executable
        if let directory { process.currentDirectoryURL = directory }
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let input = Pipe()
        process.standardInput = stdin == nil ? FileHandle.nullDevice : input
        let start = Date()
        try process.run()
        if let stdin {
            input.fileHandleForWriting.write(stdin)
            try input.fileHandleForWriting.close()
        }
        let collectedOut = Collector(out.fileHandleForReading)
        let collectedErr = Collector(err.fileHandleForReading)
        let finished = waitForExit(process, timeout: timeout)
        if !finished {
            process.terminate()
            process.waitUntilExit()
        }
        let result = Result(status: process.terminationStatus, stdout: collectedOut.text(), stderr: collectedErr.text(),
                            seconds: Date().timeIntervalSince(start))
        if !finished { Issue.record("\(program) \(arguments) did not finish within \(timeout) s; stderr: \(result.stderr)") }
        return result
    }

    /// A program running in the background that has reported the loopback port it listens on.
    struct Listening {
        let process: Process
        let port: Int
        let stdout: Collector
        let stderr: Collector
    }

    /// Starts `program` listening on a kernel-chosen loopback port and waits (20 s at most) for
    /// the "listening on 127.0.0.1:PORT" line on its standard error.
    /// `fileDescriptorLimit` runs it under `ulimit -n` that many.
    static func startListening(_ program: String, _ arguments: [String], fileDescriptorLimit: Int? = nil) throws -> Listening {
        let command = ["--listen", "127.0.0.1:0"] + arguments
        guard let fileDescriptorLimit else { return try startListening(executable: url(of: program), command) }
        return try startListeningShell("ulimit -n \(fileDescriptorLimit) && exec \"$@\"", [url(of: program).path] + command)
    }

    /// Starts `script` with `/bin/sh -c` (see `runShell`); it must start a listener on 127.0.0.1:0.
    static func startListeningShell(_ script: String, _ arguments: [String], directory: URL? = nil) throws -> Listening {
        try startListening(executable: URL(fileURLWithPath: "/bin/sh"), ["-c", script, "sh"] + arguments, directory: directory)
    }

    static func startListening(executable: URL, _ arguments: [String], directory: URL? = nil) throws -> Listening {
        let program = executable.lastPathComponent
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let stdout = Collector(out.fileHandleForReading)
        let stderr = Collector(err.fileHandleForReading)
        let deadline = Date().addingTimeInterval(20)
        var found: Int?
        while found == nil && Date() < deadline && process.isRunning {
            let text = stderr.snapshot()
            if let range = text.range(of: "listening on 127.0.0.1:") {
                let digits = text[range.upperBound...].prefix { $0.isNumber }
                found = Int(digits)
            } else {
                usleep(10_000)
            }
        }
        guard let found else {
            process.terminate()
            throw ProgramDidNotStart(program: program, stderr: stderr.snapshot())
        }
        return Listening(process: process, port: found, stdout: stdout, stderr: stderr)
    }

    static func waitForExit(_ process: Process, timeout: Double) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning {
            if Date() > deadline { return false }
            usleep(10_000)
        }
        process.waitUntilExit()
        return true
    }
}

/// Reads a pipe to its end on a background thread.
final class Collector: Sendable {
    private let data = Mutex(Data())
    private let done = Mutex(false)

    init(_ handle: FileHandle) {
        let thread = Thread { [self] in
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                data.withLock { $0.append(chunk) }
            }
            done.withLock { $0 = true }
        }
        thread.start()
    }

    /// Everything read so far (waits briefly for the end of the stream).
    func text(waitingUpTo seconds: Double = 5) -> String {
        let deadline = Date().addingTimeInterval(seconds)
        while !done.withLock({ $0 }) && Date() < deadline { usleep(5_000) }
        return data.withLock { String(decoding: $0, as: UTF8.self) }
    }

    func snapshot() -> String { data.withLock { String(decoding: $0, as: UTF8.self) } }
}

/// A running `rudp-recv` on a kernel-chosen loopback port, stopped when the test is done.
final class RunningReceiver {
    let process: Process
    let port: Int
    let stdout: Collector
    let stderr: Collector

    init(directory: URL, arguments: [String] = []) throws {
        let started = try ProgramRunner.startListening("rudp-recv", ["--out", directory.path] + arguments)
        (process, port, stdout, stderr) = (started.process, started.port, started.stdout, started.stderr)
    }

    var address: String { "127.0.0.1:\(port)" }

    /// Waits for the receiver to exit by itself (`--once`), killing it after `timeout`.
    func waitForExit(timeout: Double = 30) -> Int32? {
        guard ProgramRunner.waitForExit(process, timeout: timeout) else {
            process.terminate()
            return nil
        }
        return process.terminationStatus
    }

    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }

    deinit { stop() }
}

/// A program that exited, or stayed silent, before it reported its port.
struct ProgramDidNotStart: Error, CustomStringConvertible {
    let program: String
    let stderr: String
    var description: String { "\(program) did not report its port; stderr: \(stderr)" }
}

/// A fresh directory under the system temporary directory, removed by `remove()`.
struct ScratchDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("rudp-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func file(_ name: String) -> URL { url.appendingPathComponent(name) }

    /// Names in the directory, hidden ones (temporary files) included.
    func contents() -> [String] { (try? FileManager.default.contentsOfDirectory(atPath: url.path))?.sorted() ?? [] }

    func remove() { try? FileManager.default.removeItem(at: url) }

    /// Writes `size` random bytes to `name` and returns them.
    @discardableResult
    func randomFile(_ name: String, size: Int) throws -> Data {
        var generator = SystemRandomNumberGenerator()
        var bytes = [UInt8](repeating: 0, count: size)
        for index in stride(from: 0, to: size, by: 8) {
            let word = generator.next()
            for offset in 0..<min(8, size - index) { bytes[index + offset] = UInt8(truncatingIfNeeded: word >> (8 * UInt64(offset))) }
        }
        let data = Data(bytes)
        try data.write(to: file(name))
        return data
    }
}
