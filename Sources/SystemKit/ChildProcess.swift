#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A program started with `posix_spawn`, its output read through pipes from a poll loop and its
/// exit collected with `waitpid`; one still running when the object goes away is killed.
///
/// Not Foundation's `Process`: its exit notification relies on a run-loop wake-up socket over
/// loopback, which cannot be made in a fresh network namespace (loopback down), so waiting for a
/// child there may never return. No threads either: the owner reads the pipes while it waits.
public final class ChildProcess {
    /// Where the child's standard input comes from.
    public enum Input: Sendable {
        /// /dev/null: the child reads end of file at once.
        case none
        /// This text, written to a pipe the child reads; it must fit the pipe (64 KiB on Linux),
        /// as it is written before the child has started reading.
        case text(String)
    }

    /// Where the child's stdout or stderr goes.
    public enum Output: Sendable {
        /// Through a pipe into `stdoutLines` or `stderrLines`.
        case captured
        /// Ours, shared (the child writes straight to our terminal or file).
        case inherited
        /// /dev/null.
        case discarded
    }

    /// The program's path.
    public let path: String
    /// The process ID.
    public let pid: pid_t
    /// How it ended, once it has been reaped.
    public private(set) var termination: ChildTermination?
    private var stdout: CapturedStream?
    private var stderr: CapturedStream?

    /// Starts `path` with `arguments` (not including the program name). With `ownProcessGroup`
    /// the child is the leader of a new process group, so a terminal's Ctrl-C reaches only us.
    /// With `diesWithParent` (Linux) the child gets SIGTERM when the calling thread ends, which
    /// our death does, SIGKILL included: start it from the thread that owns it for its whole life.
    public init(path: String, arguments: [String], input: Input = .none, stdout: Output = .captured,
                stderr: Output = .captured, ownProcessGroup: Bool = false, diesWithParent: Bool = false) throws(SystemError) {
        self.path = path
        var ours: [Int32] = []  // our ends, closed if the spawn fails
        var theirs: [Int32] = []  // the child's ends, closed once it has its copies
        defer { for end in theirs { try? Posix.close(end) } }
        do {
            var descriptors: [ProcessSpawn.Descriptor] = []
            var inputEnd: Int32 = -1
            if case .text = input {
                let ends = try Posix.pipe()
                (inputEnd, ours, theirs) = (ends.writeEnd, ours + [ends.writeEnd], theirs + [ends.readEnd])
                descriptors.append(.copy(of: ends.readEnd))
            } else {
                descriptors.append(.null(flags: O_RDONLY))
            }
            var outputEnds: [Int32] = []
            for output in [stdout, stderr] {
                switch output {
                case .captured:
                    let ends = try Posix.pipe()
                    ours.append(ends.readEnd)
                    theirs.append(ends.writeEnd)
                    try Posix.setNonBlocking(ends.readEnd, true)
                    descriptors.append(.copy(of: ends.writeEnd))
                    outputEnds.append(ends.readEnd)
                case .inherited:
                    descriptors.append(.inherited)
                    outputEnds.append(-1)
                case .discarded:
                    descriptors.append(.null(flags: O_WRONLY))
                    outputEnds.append(-1)
                }
            }
            pid = try ProcessSpawn.start(path: path, arguments: arguments, descriptors: descriptors,
                                         ownProcessGroup: ownProcessGroup, deathSignal: diesWithParent ? SIGTERM : nil)
            self.stdout = outputEnds[0] >= 0 ? CapturedStream(readEnd: outputEnds[0]) : nil
            self.stderr = outputEnds[1] >= 0 ? CapturedStream(readEnd: outputEnds[1]) : nil
            if case .text(let text) = input {
                Self.writeAll(Array(text.utf8), to: inputEnd)
                try? Posix.close(inputEnd)
            }
        } catch {
            for end in ours { try? Posix.close(end) }
            throw error
        }
    }

    deinit {
        if termination == nil {
            try? Posix.kill(pid, SIGKILL)
            reap(blocking: true)
        }
        stdout?.close()
        stderr?.close()
    }

    /// The program's file name, for messages.
    public var name: String { path.split(separator: "/").last.map(String.init) ?? path }

    /// The exit status once known: the exit code, or 128 + the signal for a killed child.
    public var exitStatus: Int32? { termination?.status }

    /// Whether the child still runs (reaps it if it has exited).
    public var isRunning: Bool {
        termination == nil && !reap(blocking: false)
    }

    /// Complete lines read from stdout so far (`readAvailable` and the waits append).
    public var stdoutLines: [String] { stdout?.lines ?? [] }
    /// Complete lines read from stderr so far.
    public var stderrLines: [String] { stderr?.lines ?? [] }
    /// The read end of the stdout pipe, for the owner's own poll; -1 if not captured or ended.
    public var stdoutDescriptor: Int32 { stdout?.descriptor ?? -1 }
    /// The read end of the stderr pipe; -1 if not captured or ended.
    public var stderrDescriptor: Int32 { stderr?.descriptor ?? -1 }
    /// Whether a captured stream may still bring more lines.
    public var hasOpenOutput: Bool { stdout?.isOpen == true || stderr?.isOpen == true }

    /// Reads whatever the pipes hold without blocking; returns the new complete lines of
    /// (stdout, stderr). At end of a stream its last unterminated line counts as complete.
    @discardableResult
    public func readAvailable() -> (stdout: [String], stderr: [String]) {
        (stdout?.readAvailable() ?? [], stderr?.readAvailable() ?? [])
    }

    /// Sleeps until a pipe has data or `milliseconds` pass (simply sleeps when none is open).
    public func waitForOutput(milliseconds: Int32) {
        var entries = [stdoutDescriptor, stderrDescriptor].filter { $0 >= 0 }
            .map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
        _ = try? Posix.poll(&entries, count: entries.count, timeoutMilliseconds: milliseconds)
    }

    /// Sends `signal` (SIGTERM by default) if the child still runs.
    public func terminate(_ signal: Int32 = SIGTERM) {
        if isRunning { try? Posix.kill(pid, signal) }
    }

    /// Waits up to `timeout` seconds for the child to exit, reading its pipes meanwhile so it
    /// never blocks on a full one. Returns its exit status, or nil if time ran out: it is then
    /// killed (SIGKILL) and reaped, and `exitStatus` says 137.
    @discardableResult
    public func waitForExit(timeout: Double) -> Int32? {
        let deadline = MonotonicClock.now() + UInt64(max(0, timeout) * 1e9)
        while isRunning {
            let now = MonotonicClock.now()
            if now >= deadline {
                try? Posix.kill(pid, SIGKILL)
                reap(blocking: true)
                readAvailable()
                return nil
            }
            waitForOutput(milliseconds: Int32(min(20, (deadline - now) / 1_000_000 + 1)))
            readAvailable()
        }
        readAvailable()
        return exitStatus
    }

    /// Waits as long as it takes for the child to exit, reading its pipes to their end.
    public func waitForExit() -> ChildTermination {
        while hasOpenOutput {
            waitForOutput(milliseconds: -1)
            readAvailable()
        }
        reap(blocking: true)
        return termination ?? .killed(signal: SIGKILL)
    }

    /// Asks the child to stop (SIGTERM), waits up to `timeout` seconds, then kills it.
    public func stop(timeout: Double = 3) {
        terminate()
        waitForExit(timeout: timeout)
    }

    /// Collects the exit status if the child has exited; true then.
    @discardableResult
    private func reap(blocking: Bool) -> Bool {
        if termination != nil { return true }
        do {
            termination = try Posix.waitpid(pid, blocking: blocking)
        } catch {
            // ECHILD: reaped by someone else (a SIGCHLD handler set to ignore); never wait on it again.
            termination = .killed(signal: SIGKILL)
        }
        return termination != nil
    }

    /// Writes `bytes` to a blocking pipe; a child that died first (EPIPE) shows in its status.
    private static func writeAll(_ bytes: [UInt8], to descriptor: Int32) {
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                guard let written = try? Posix.write(descriptor, UnsafeRawBufferPointer(rebasing: buffer[offset...])),
                      written > 0 else { return }
                offset += written
            }
        }
    }
}
