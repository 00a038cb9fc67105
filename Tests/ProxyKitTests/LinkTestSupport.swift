#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Synchronization
import Testing

@testable import ProxyKit

/// What the TUN link's end-to-end tests need: root, /dev/net/tun, `ip`, and the built programs
/// (they sit next to the test binary), plus helpers to run programs inside namespaces.
enum LinkTestSupport {
    /// Whether the link can run here: Linux, root, /dev/net/tun, iproute2, built lossproxy.
    static let canRun: Bool = {
        #if os(Linux)
        return geteuid() == 0 && access("/dev/net/tun", F_OK) == 0 && IPCommand.locate() != nil
            && FileManager.default.isExecutableFile(atPath: program("lossproxy"))
        #else
        return false
        #endif
    }()

    /// The reason shown when the link tests are skipped.
    static let skipReason: Comment = "needs Linux, root, /dev/net/tun, iproute2 and the built lossproxy"

    /// `python3`, for the echo server and client, if installed.
    static let python: String? = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") + ["/usr/bin", "/usr/local/bin"] {
            let candidate = "\(directory)/python3"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }()

    static var canRunWithPython: Bool { canRun && python != nil }

    /// The build directory holding the executables.
    static let buildDirectory: String = {
        var directory = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: directory.appendingPathComponent("lossproxy").path),
              directory.path != "/" {
            directory = directory.deletingLastPathComponent()
        }
        return directory.path
    }()

    static func program(_ name: String) -> String { buildDirectory + "/" + name }

    /// A namespace name no other test (or run) uses: `lt-echo-3f2a1b`.
    static func uniqueNamespace(_ tag: String) -> String {
        "lt-\(tag)-" + String(UInt32.random(in: 0...UInt32.max), radix: 16)
    }

    static func namespaceExists(_ name: String) -> Bool { LinkPlumbing.namespaceExists(name) }

    /// Runs `ip ARGUMENTS`, returning its exit status.
    @discardableResult
    static func ip(_ arguments: [String]) -> Int32 {
        (try? RunningProgram(IPCommand.locate()!.path, arguments).finish(timeout: 10).status) ?? -1
    }

    /// Deletes namespaces a failed test may have left behind.
    static func removeNamespaces(_ names: [String]) {
        for name in names where namespaceExists(name) { ip(["netns", "delete", name]) }
    }

    /// `ip netns exec NAMESPACE PROGRAM ARGUMENTS`, started.
    static func startIn(_ namespace: String, _ program: String, _ arguments: [String]) throws -> RunningProgram {
        try RunningProgram(IPCommand.locate()!.path, ["netns", "exec", namespace, program] + arguments)
    }
}

/// A child process with its output collected on background threads.
final class RunningProgram: Sendable {
    let process: Process
    private let stdoutText = Mutex(Data())
    private let stderrText = Mutex(Data())
    private let closed = Mutex(0)

    init(_ executable: String, _ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        self.process = process
        collect(out.fileHandleForReading, isStandardOutput: true)
        collect(err.fileHandleForReading, isStandardOutput: false)
    }

    private func collect(_ handle: FileHandle, isStandardOutput: Bool) {
        Thread { [self] in
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                if isStandardOutput {
                    stdoutText.withLock { $0.append(chunk) }
                } else {
                    stderrText.withLock { $0.append(chunk) }
                }
            }
            closed.withLock { $0 += 1 }
        }.start()
    }

    var stdout: String { stdoutText.withLock { String(decoding: $0, as: UTF8.self) } }
    var stderr: String { stderrText.withLock { String(decoding: $0, as: UTF8.self) } }
    var isRunning: Bool { process.isRunning }

    /// Waits until `condition` holds on the output so far, up to `timeout` seconds (false if the
    /// time runs out or the program exits first without meeting it).
    func waitFor(timeout: Double, _ condition: (_ stdout: String, _ stderr: String) -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition(stdout, stderr) { return true }
            if !process.isRunning { return condition(stdout, stderr) }
            usleep(5_000)
        }
        return false
    }

    /// Sends `signal` to the program (by its pid).
    func signal(_ signal: Int32) {
        if process.isRunning { kill(process.processIdentifier, signal) }
    }

    /// Waits for the exit (killing the program after `timeout`) and returns its status and output.
    func finish(timeout: Double) -> (status: Int32, stdout: String, stderr: String, timedOut: Bool) {
        let deadline = Date().addingTimeInterval(timeout)
        var timedOut = false
        while process.isRunning {
            if Date() > deadline {
                timedOut = true
                kill(process.processIdentifier, SIGKILL)
                break
            }
            usleep(5_000)
        }
        process.waitUntilExit()
        let ends = Date().addingTimeInterval(2)
        while closed.withLock({ $0 }) < 2 && Date() < ends { usleep(2_000) }
        return (process.terminationStatus, stdout, stderr, timedOut)
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}

/// A `lossproxy link` process, up and relaying once `init` returns.
final class RunningLink: Sendable {
    let program: RunningProgram
    let namespaceA: String
    let namespaceB: String

    /// Starts `lossproxy link --ns-a A --ns-b B EXTRA` and waits for its link-up line.
    init(_ namespaceA: String, _ namespaceB: String, _ extra: [String] = []) throws {
        self.namespaceA = namespaceA
        self.namespaceB = namespaceB
        program = try RunningProgram(
            LinkTestSupport.program("lossproxy"), ["link", "--ns-a", namespaceA, "--ns-b", namespaceB] + extra)
        let up = program.waitFor(timeout: 15) { stdout, _ in stdout.contains("\n") }
        guard up, program.isRunning else {
            let result = program.finish(timeout: 5)
            throw LinkDidNotStart(status: result.status, stdout: result.stdout, stderr: result.stderr)
        }
    }

    /// Stops the link with `signal` and returns how it ended.
    func stop(_ signal: Int32 = SIGINT) -> (status: Int32, stdout: String, stderr: String, timedOut: Bool) {
        program.signal(signal)
        return program.finish(timeout: 15)
    }
}

struct LinkDidNotStart: Error, CustomStringConvertible {
    let status: Int32
    let stdout: String
    let stderr: String
    var description: String { "lossproxy link did not come up (exit \(status)); stdout: \(stdout); stderr: \(stderr)" }
}
