#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// The C functions under names that `Posix`'s own members do not shadow.
private let sysPipe = pipe
private let sysWaitPID = waitpid
private let sysKill = kill

/// The process calls `ChildProcess` makes, wrapped once like the rest of `Posix`.
extension Posix {
    /// `pipe(2)`, both ends close-on-exec so that no other child inherits them (the spawn's
    /// `dup2` onto 0, 1 or 2 clears the flag on the child's copy). Glibc's Swift module hides
    /// `pipe2`, hence `pipe` and `fcntl`.
    public static func pipe() throws(SystemError) -> (readEnd: Int32, writeEnd: Int32) {
        var ends: [Int32] = [-1, -1]
        _ = try retrying("pipe") { sysPipe(&ends) }
        do {
            try setCloseOnExec(ends[0])
            try setCloseOnExec(ends[1])
        } catch {
            try? close(ends[0])
            try? close(ends[1])
            throw error
        }
        return (ends[0], ends[1])
    }

    /// `waitpid(2)` for one child: how it ended, or nil when `blocking` is false and it still runs.
    public static func waitpid(_ pid: pid_t, blocking: Bool) throws(SystemError) -> ChildTermination? {
        var status: Int32 = 0
        let result = try retrying("waitpid") { sysWaitPID(pid, &status, blocking ? 0 : WNOHANG) }
        return result == 0 ? nil : ChildTermination(waitStatus: status)
    }

    /// `kill(2)`; a process already gone (ESRCH) is not an error.
    public static func kill(_ pid: pid_t, _ signal: Int32) throws(SystemError) {
        guard sysKill(pid, signal) == -1 else { return }
        let code = errno
        if code == ESRCH { return }
        throw SystemError(errno: code, call: "kill")
    }

    /// Whether a process `pid` exists (`kill(pid, 0)`; one of another user's counts too). For
    /// leftovers recorded with their owner's pid: a dead owner proves them abandoned.
    public static func processExists(_ pid: pid_t) -> Bool {
        guard pid > 0 else { return false }
        return sysKill(pid, 0) == 0 || errno != ESRCH
    }
}
