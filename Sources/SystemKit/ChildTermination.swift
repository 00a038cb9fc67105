/// How a child process ended: its exit code, or the signal that killed it.
public enum ChildTermination: Equatable, Hashable, Sendable, CustomStringConvertible {
    /// It called `exit` (or returned from `main`) with this code.
    case exited(Int32)
    /// A signal ended it.
    case killed(signal: Int32)

    /// Decodes a `waitpid` status. The <sys/wait.h> macros are not imported into Swift: the low
    /// seven bits are the terminating signal (0 for a normal exit), the next byte the exit code.
    init(waitStatus status: Int32) {
        let signal = status & 0x7F
        self = signal == 0 ? .exited((status >> 8) & 0xFF) : .killed(signal: signal)
    }

    /// The number a shell shows in `$?`: the exit code, or 128 + the signal.
    public var status: Int32 {
        switch self {
        case .exited(let code): code
        case .killed(let signal): 128 + signal
        }
    }

    /// `exit status 3` or `killed by signal 9`.
    public var description: String {
        switch self {
        case .exited(let code): "exit status \(code)"
        case .killed(let signal): "killed by signal \(signal)"
        }
    }
}
