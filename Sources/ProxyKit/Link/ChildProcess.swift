#if os(Linux)
import Glibc

/// A child process started with `posix_spawn`: stdin from a string (or /dev/null), stdout to
/// /dev/null, stderr collected. Used for `ip` instead of Foundation's `Process`, whose exit
/// notification relies on a run-loop wake-up socket over the loopback interface: in a fresh
/// network namespace (`unshare -rmn`, loopback down) that socket cannot be made and waiting
/// for a child may never return.
///
/// The child gets its own process group (a terminal's Ctrl-C reaches only lossproxy, which
/// then tears down in order), an empty signal mask and default SIGPIPE/SIGINT/SIGTERM.
struct ChildProcess {
    /// How the child ended.
    enum Status: Equatable {
        case exited(Int32)
        case killed(Int32)
    }

    private let pid: pid_t
    private let errorReadEnd: Int32

    /// Starts `path` with `arguments`, writing `input` (if any) to its stdin.
    /// Throws `SystemCallFailure` if the pipes or the spawn fail.
    init(path: String, arguments: [String], input: String?) throws(SystemCallFailure) {
        var errorPipe: [Int32] = [-1, -1]
        var inputPipe: [Int32] = [-1, -1]
        guard Self.makePipe(&errorPipe) else { throw SystemCallFailure(call: "pipe", errno: errno) }
        if input != nil, !Self.makePipe(&inputPipe) {
            let code = errno
            close(errorPipe[0])
            close(errorPipe[1])
            throw SystemCallFailure(call: "pipe", errno: code)
        }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if input != nil {
            posix_spawn_file_actions_adddup2(&actions, inputPipe[0], 0)
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, errorPipe[1], 2)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGPIPE, SIGINT, SIGTERM] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(
            &attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
        defer { for argument in argv { free(argument) } }
        var child: pid_t = 0
        let result = posix_spawn(&child, path, &actions, &attributes, argv, environ)
        close(errorPipe[1])
        if input != nil { close(inputPipe[0]) }
        guard result == 0 else {
            close(errorPipe[0])
            if input != nil { close(inputPipe[1]) }
            throw SystemCallFailure(call: "posix_spawn", errno: result)
        }
        pid = child
        errorReadEnd = errorPipe[0]
        if let input {
            // A batch is a few hundred bytes: it fits the pipe, so this cannot block on a child
            // that has not started reading. EPIPE (the child died first) is reported by its status.
            let bytes = Array(input.utf8)
            _ = bytes.withUnsafeBytes { write(inputPipe[1], $0.baseAddress, $0.count) }
            close(inputPipe[1])
        }
    }

    /// A pipe whose ends are close-on-exec (the spawn dups the child's ends onto 0 and 2, which
    /// clears the flag there), so that no other child inherits them. Glibc's Swift module hides
    /// pipe2, hence pipe and fcntl.
    private static func makePipe(_ ends: inout [Int32]) -> Bool {
        guard pipe(&ends) == 0 else { return false }
        for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        return true
    }

    /// Reads the child's stderr to its end, then reaps it.
    func wait() -> (Status, String) {
        var collected: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(errorReadEnd, $0.baseAddress, $0.count) }
            if count > 0 {
                collected += buffer[0..<count]
            } else if count == 0 || errno != EINTR {
                break
            }
        }
        close(errorReadEnd)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        // The <sys/wait.h> macros, which Swift does not import: low 7 bits are the signal (0 for
        // a normal exit), the next byte the exit code.
        let signal = status & 0x7F
        let outcome: Status = signal == 0 ? .exited((status >> 8) & 0xFF) : .killed(signal)
        return (outcome, String(decoding: collected, as: UTF8.self))
    }
}

/// A system call that failed while starting a child: `posix_spawn: No such file or directory`.
struct SystemCallFailure: Error, CustomStringConvertible {
    let call: String
    let errno: Int32

    var description: String { "\(call): \(String(cString: strerror(errno)))" }
}
#endif
