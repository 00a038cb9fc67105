#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Testing
@testable import SystemKit

/// `/bin/sh -c SCRIPT`, its output captured unless said otherwise.
func shell(_ script: String, input: ChildProcess.Input = .none, stdout: ChildProcess.Output = .captured,
           ownProcessGroup: Bool = false) throws -> ChildProcess {
    try ChildProcess(path: "/bin/sh", arguments: ["-c", script], input: input, stdout: stdout,
                     ownProcessGroup: ownProcessGroup)
}

/// The launcher every program uses for its children: output, exit, signals, time limits.
@Suite struct ChildProcessTests {
    @Test("stdout and stderr are captured line by line, and the exit code is collected")
    func capturesOutputAndExitCode() throws {
        let child = try shell("echo out; echo err >&2; echo more; exit 3")
        #expect(child.waitForExit(timeout: 10) == 3)
        #expect(child.termination == .exited(3))
        #expect(child.stdoutLines == ["out", "more"])
        #expect(child.stderrLines == ["err"])
        #expect(child.name == "sh")
        #expect(!child.isRunning)
    }

    @Test("a last line without its newline still counts, once the stream has ended")
    func keepsAnUnterminatedLastLine() throws {
        let child = try shell("printf 'a\\nb'")
        #expect(child.waitForExit(timeout: 10) == 0)
        #expect(child.stdoutLines == ["a", "b"])
        #expect(child.stdoutDescriptor == -1, "an ended stream is closed, so a poll loop stops waking on it")
    }

    @Test("text input reaches the child's stdin; discarded output is not captured")
    func feedsInputAndDiscardsOutput() throws {
        let echo = try shell("cat", input: .text("hello\nworld\n"))
        #expect(echo.waitForExit(timeout: 10) == 0)
        #expect(echo.stdoutLines == ["hello", "world"])

        let quiet = try shell("cat; echo oops >&2; exit 1", input: .text("ignored\n"), stdout: .discarded)
        #expect(quiet.stdoutDescriptor == -1)
        #expect(quiet.waitForExit() == .exited(1))
        #expect(quiet.stdoutLines.isEmpty)
        #expect(quiet.stderrLines == ["oops"])
    }

    @Test("without input the child reads end of file at once")
    func stdinIsDevNull() throws {
        let child = try shell("cat; echo done")
        #expect(child.waitForExit(timeout: 10) == 0)
        #expect(child.stdoutLines == ["done"])
    }

    @Test("a child that outlives its time limit is killed and reported as such")
    func killsAtTheTimeLimit() throws {
        let child = try shell("exec sleep 30")
        let started = MonotonicClock.now()
        #expect(child.waitForExit(timeout: 0.2) == nil)
        #expect(MonotonicClock.now() - started < 5_000_000_000)
        #expect(child.termination == .killed(signal: SIGKILL))
        #expect(child.exitStatus == 128 + SIGKILL)
    }

    @Test("terminate sends SIGTERM, which the child receives at its default disposition")
    func terminatesWithSIGTERM() throws {
        let child = try shell("exec sleep 30")
        #expect(child.isRunning)
        child.terminate()
        #expect(child.waitForExit(timeout: 10) == 128 + SIGTERM)
        #expect(child.termination == .killed(signal: SIGTERM))
        #expect(child.termination?.description == "killed by signal \(SIGTERM)")
    }

    @Test("a child still running when its owner goes away is killed and reaped")
    func dropKillsTheChild() throws {
        var pid: pid_t = 0
        do {
            let child = try shell("exec sleep 30")
            pid = child.pid
            #expect(kill(pid, 0) == 0)
        }
        #expect(kill(pid, 0) == -1 && errno == ESRCH, "the child was neither killed nor reaped")
    }

    @Test("a program that cannot be started is an error naming posix_spawn")
    func reportsASpawnFailure() {
        #expect(throws: SystemError(errno: ENOENT, call: "posix_spawn")) {
            try ChildProcess(path: "/nonexistent/program", arguments: [])
        }
    }

    @Test("waiting for a line finds it on the stream asked for, and gives up when the streams end")
    func waitsForALine() throws {
        let server = try shell("echo starting >&2; echo 'listening on 127.0.0.1:4000' >&2; exec sleep 30")
        let line = server.waitForLine(on: .stderr, timeout: 10) { $0.hasPrefix("listening on ") }
        #expect(line == "listening on 127.0.0.1:4000")
        #expect(server.waitForLine(on: .stdout, timeout: 0.1) { $0.hasPrefix("listening") } == nil)
        server.stop(timeout: 5)
        #expect(server.termination == .killed(signal: SIGTERM))

        let quitter = try shell("echo bye >&2; echo '  ' >&2")
        #expect(quitter.waitForLine(on: .both, timeout: 10) { $0 == "never" } == nil)
        #expect(quitter.lastErrorLine == "bye")
    }

    @Test("a child can lead a process group of its own, away from a terminal's Ctrl-C")
    func ownProcessGroup() throws {
        let own = try shell("exec sleep 30", ownProcessGroup: true)
        #expect(getpgid(own.pid) == own.pid)
        let shared = try shell("exec sleep 30")
        #expect(getpgid(shared.pid) == getpgrp())
    }

    #if os(Linux)
    @Test("the child starts with no signal blocked and SIGINT, SIGTERM, SIGPIPE not ignored, whatever ours are")
    func resetsSignals() throws {
        let previous = signal(SIGPIPE, SIG_IGN)
        defer { signal(SIGPIPE, previous) }
        let child = try ChildProcess(path: "/bin/cat", arguments: ["/proc/self/status"])
        #expect(child.waitForExit(timeout: 10) == 0)
        func mask(_ field: String) -> UInt64? {
            child.stdoutLines.first { $0.hasPrefix(field + ":") }
                .flatMap { UInt64($0.dropFirst(field.count + 1).trimmingPrefix(while: \.isWhitespace), radix: 16) }
        }
        let ignored = try #require(mask("SigIgn"))
        for signalNumber in [SIGINT, SIGTERM, SIGPIPE] {
            #expect(ignored & (1 << UInt64(signalNumber - 1)) == 0, "signal \(signalNumber) is ignored in the child")
        }
        #expect(mask("SigBlk") == 0)
    }
    #endif
}
