/// A request to end the program now with a given status, optionally printing text on stdout first.
///
/// The argument parser throws it for `--help` and `--version`; programs throw it to exit with a
/// status after they have already reported the outcome themselves (for example a failed transfer
/// already printed as a JSON line). `runMain` turns it into the exit, printing nothing else.
public struct ProgramExit: Error, Equatable, Sendable {
    /// The process exit status.
    public let code: Int32
    /// Printed on stdout before exiting (help or version text); empty prints nothing.
    public let output: String

    public init(code: Int32, output: String = "") {
        self.code = code
        self.output = output
    }
}
