/// Process exit statuses shared by every program (see SPEC "Common conventions").
public enum ExitCode {
    /// The operation succeeded.
    public static let success: Int32 = 0
    /// The operation failed: peer unreachable, gave up, integrity failure, I/O error, interrupted.
    public static let failure: Int32 = 1
    /// The command line was wrong: unknown flag, bad value, missing argument.
    public static let usage: Int32 = 2
}
