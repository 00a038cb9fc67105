import SystemKit

extension ChildProcess {
    /// Starts one of an experiment's programs (rudp-recv, lossproxy, rudp-send, a why-udp peer,
    /// git) with stdout and stderr captured, so the lab can wait for "listening on …" and read
    /// `--json` output; a program that cannot be started is a `SweepError`.
    ///
    /// Each child leads a process group of its own: a terminal's Ctrl-C reaches only rudp-lab,
    /// which then stops its children in order (the receiver after the sender, the link last).
    static func launched(path: String, arguments: [String]) throws(SweepError) -> ChildProcess {
        do {
            return try ChildProcess(path: path, arguments: arguments, ownProcessGroup: true)
        } catch {
            throw SweepError("cannot start \(path): \(SystemError.message(for: error.errno))")
        }
    }
}
