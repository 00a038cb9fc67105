#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CLIKit
import RUDPNet
import SystemKit

/// A program started with `posix_spawn`, its stdout and stderr captured through pipes (or left
/// on ours), driven from a poll loop: no threads, no Foundation `Process`.
///
/// The child starts with SIGINT, SIGTERM and SIGPIPE at their default dispositions whatever
/// ours are, and with standard input from /dev/null. `terminate()` and `waitForExit(timeout:)`
/// make sure nothing outlives the lab; `deinit` kills a child still running.
final class ChildProcess {
    /// How a captured stream is handled.
    enum Output {
        /// Captured through a pipe, read by `readAvailable`.
        case captured
        /// Shared with this process (the child writes straight to our stdout or stderr).
        case inherited
    }

    /// The program's path.
    let path: String
    /// The process ID.
    let pid: pid_t
    /// The read end of the child's stdout pipe, or -1 if inherited.
    let stdoutDescriptor: Int32
    /// The read end of the child's stderr pipe, or -1 if inherited.
    let stderrDescriptor: Int32
    /// Complete lines read from stdout (`readAvailable` appends).
    private(set) var stdoutLines: [String] = []
    /// Complete lines read from stderr.
    private(set) var stderrLines: [String] = []
    /// The exit status once known: the code, or 128 + signal for a killed child.
    private(set) var exitStatus: Int32? = nil

    private var stdoutBuffer: [UInt8] = []
    private var stderrBuffer: [UInt8] = []

    /// Starts `path` with `arguments` (not including the program name).
    init(path: String, arguments: [String], stdout: Output = .captured, stderr: Output = .captured) throws {
        self.path = path
        var stdoutPipe: [Int32] = [-1, -1]
        var stderrPipe: [Int32] = [-1, -1]
        if stdout == .captured { try Self.makePipe(&stdoutPipe) }
        if stderr == .captured { try Self.makePipe(&stderrPipe) }
        defer {
            // The child has its own copies of the write ends; ours would keep the pipes open.
            if stdoutPipe[1] >= 0 { close(stdoutPipe[1]) }
            if stderrPipe[1] >= 0 { close(stderrPipe[1]) }
        }

        #if os(Linux)
        var actions = posix_spawn_file_actions_t()
        var attributes = posix_spawnattr_t()
        #else
        var actions: posix_spawn_file_actions_t? = nil
        var attributes: posix_spawnattr_t? = nil
        #endif
        posix_spawn_file_actions_init(&actions)
        posix_spawnattr_init(&attributes)
        defer {
            posix_spawn_file_actions_destroy(&actions)
            posix_spawnattr_destroy(&attributes)
        }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        if stdoutPipe[1] >= 0 { posix_spawn_file_actions_adddup2(&actions, stdoutPipe[1], 1) }
        if stderrPipe[1] >= 0 { posix_spawn_file_actions_adddup2(&actions, stderrPipe[1], 2) }
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signalNumber in [SIGINT, SIGTERM, SIGPIPE] { sigaddset(&defaults, signalNumber) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var noneBlocked = sigset_t()
        sigemptyset(&noneBlocked)
        posix_spawnattr_setsigmask(&attributes, &noneBlocked)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var childPID: pid_t = 0
        let status = posix_spawn(&childPID, path, &actions, &attributes, argv, environ)
        guard status == 0 else {
            for descriptor in [stdoutPipe[0], stderrPipe[0]] where descriptor >= 0 { close(descriptor) }
            throw RuntimeFailure("cannot start \(path): \(String(cString: strerror(status)))")
        }
        pid = childPID
        stdoutDescriptor = stdoutPipe[0]
        stderrDescriptor = stderrPipe[0]
    }

    deinit {
        if exitStatus == nil {
            kill(pid, SIGKILL)
            _ = reap(blocking: true)
        }
        if stdoutDescriptor >= 0 { close(stdoutDescriptor) }
        if stderrDescriptor >= 0 { close(stderrDescriptor) }
    }

    /// The program's file name, for messages.
    var name: String { path.split(separator: "/").last.map(String.init) ?? path }

    /// Whether the child is still running (reaps it if it has exited).
    var isRunning: Bool {
        exitStatus == nil && !reap(blocking: false)
    }

    /// Reads whatever the pipes hold without blocking; returns the new complete lines of
    /// (stdout, stderr). At end of stream a last unterminated line is returned too.
    @discardableResult
    func readAvailable() -> (stdout: [String], stderr: [String]) {
        let newOut = Self.drain(stdoutDescriptor, buffer: &stdoutBuffer)
        let newErr = Self.drain(stderrDescriptor, buffer: &stderrBuffer)
        stdoutLines += newOut
        stderrLines += newErr
        return (newOut, newErr)
    }

    /// Sends `signal` (SIGTERM by default) if the child still runs.
    func terminate(_ signal: Int32 = SIGTERM) {
        if isRunning { kill(pid, signal) }
    }

    /// Waits up to `timeout` seconds for the child to exit, reading its pipes meanwhile so it
    /// never blocks on a full one; kills it when the time is up. Returns its exit status.
    @discardableResult
    func waitForExit(timeout: Double) -> Int32 {
        let deadline = MonotonicClock.now() + UInt64(timeout * 1e9)
        while isRunning {
            if MonotonicClock.now() >= deadline {
                kill(pid, SIGKILL)
                _ = reap(blocking: true)
                break
            }
            waitForOutput(milliseconds: 20)
            readAvailable()
        }
        readAvailable()
        return exitStatus ?? 128 + SIGKILL
    }

    /// Sleeps until one of the pipes has data or `milliseconds` pass.
    func waitForOutput(milliseconds: Int32) {
        var entries = [stdoutDescriptor, stderrDescriptor].filter { $0 >= 0 }
            .map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
        _ = poll(&entries, nfds_t(entries.count), milliseconds)
    }

    /// Collects the exit status if the child has exited; true then.
    private func reap(blocking: Bool) -> Bool {
        if exitStatus != nil { return true }
        var status: Int32 = 0
        while true {
            let result = waitpid(pid, &status, blocking ? 0 : WNOHANG)
            if result == pid { break }
            if result == 0 { return false }
            if errno == EINTR { continue }
            exitStatus = -1  // not our child any more (cannot happen, but never loop on it)
            return true
        }
        // WIFEXITED / WEXITSTATUS / WTERMSIG, which Swift does not import as functions.
        let signalNumber = status & 0x7f
        exitStatus = signalNumber == 0 ? (status >> 8) & 0xff : 128 + signalNumber
        return true
    }

    private static func makePipe(_ ends: inout [Int32]) throws {
        guard pipe(&ends) == 0 else {
            throw RuntimeFailure("pipe: \(String(cString: strerror(errno)))")
        }
        // Our read end: non-blocking for the poll loop, and not inherited by other children.
        _ = fcntl(ends[0], F_SETFL, fcntl(ends[0], F_GETFL) | O_NONBLOCK)
        _ = fcntl(ends[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(ends[1], F_SETFD, FD_CLOEXEC)
    }

    /// Reads everything available on `descriptor` into `buffer` and splits off complete lines.
    private static func drain(_ descriptor: Int32, buffer: inout [UInt8]) -> [String] {
        guard descriptor >= 0 else { return [] }
        var chunk = [UInt8](repeating: 0, count: 16_384)
        var endOfStream = false
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count > 0 {
                buffer += chunk[..<count]
                continue
            }
            if count == 0 { endOfStream = true }
            if count < 0 && errno == EINTR { continue }
            break
        }
        var lines: [String] = []
        while let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
            lines.append(String(decoding: buffer[..<newline], as: UTF8.self))
            buffer.removeSubrange(...newline)
        }
        if endOfStream && !buffer.isEmpty {
            lines.append(String(decoding: buffer, as: UTF8.self))
            buffer.removeAll()
        }
        return lines
    }
}
