import Foundation
import SystemKit

/// Runs iproute2's `ip` for the link's plumbing (namespaces, moving devices, addresses).
///
/// `ip` rather than raw netlink: it is on every Linux machine that has namespaces, its error
/// messages are the ones a user can look up, and the setup runs a handful of commands once.
/// Children are started in their own process group, so a Ctrl-C on the terminal reaches
/// lossproxy, which then tears down, and not its half-done `ip`. SystemKit's `ChildProcess`
/// rather than Foundation's `Process`, whose exit notification relies on a run-loop wake-up
/// socket over loopback: in a fresh network namespace (`unshare -rmn`, loopback down) that
/// socket cannot be made and waiting for a child may never return.
struct IPCommand: Sendable {
    /// The path of the `ip` executable.
    let path: String

    /// Where `ip` is usually installed: sudo and cron often leave the sbin directories out of PATH.
    static let usualDirectories = ["/usr/sbin", "/sbin", "/usr/bin", "/bin", "/usr/local/sbin", "/usr/local/bin"]

    /// Finds `ip` in PATH or the usual directories; nil if it is not installed.
    static func locate() -> IPCommand? {
        let fromPath = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
        for directory in fromPath + usualDirectories where !directory.isEmpty {
            let candidate = directory + "/ip"
            if FileManager.default.isExecutableFile(atPath: candidate) { return IPCommand(path: candidate) }
        }
        return nil
    }

    /// Runs `ip ARGUMENTS` and waits for it. Throws `LinkError` quoting `ip`'s first error
    /// line when it fails.
    func run(_ arguments: [String]) throws(LinkError) {
        let (succeeded, errorText) = try execute(arguments, input: nil)
        guard !succeeded else { return }
        throw LinkError("ip \(arguments.joined(separator: " ")) failed: \(Self.firstLine(errorText))")
    }

    /// Runs several `ip` commands in one process (`ip [-n NAMESPACE] -batch -`), stopping at
    /// the first that fails; the error names that command.
    func runBatch(_ commands: [String], namespace: String? = nil) throws(LinkError) {
        let prefix = namespace.map { ["-n", $0] } ?? []
        let (succeeded, errorText) = try execute(
            prefix + ["-batch", "-"], input: commands.joined(separator: "\n") + "\n")
        guard !succeeded else { return }
        // ip reports the failing line as "Command failed -:N".
        var failed = "ip " + (prefix + ["-batch", "-"]).joined(separator: " ")
        if let range = errorText.range(of: "Command failed -:") {
            let digits = errorText[range.upperBound...].prefix { $0.isNumber }
            if let line = Int(digits), commands.indices.contains(line - 1) {
                failed = "ip " + (prefix + [commands[line - 1]]).joined(separator: " ")
            }
        }
        throw LinkError("\(failed) failed: \(Self.firstLine(errorText))")
    }

    private static func firstLine(_ text: String) -> String {
        text.split(whereSeparator: \.isNewline).first.map(String.init) ?? "no error message"
    }

    /// Runs `ip` to completion; returns whether it exited 0, and what it wrote on stderr.
    private func execute(_ arguments: [String], input: String?) throws(LinkError) -> (Bool, String) {
        let child: ChildProcess
        do {
            child = try ChildProcess(path: path, arguments: arguments, input: input.map { .text($0) } ?? .none,
                                     stdout: .discarded, stderr: .captured, ownProcessGroup: true)
        } catch {
            throw LinkError("cannot run \(path): \(error.call): \(SystemError.message(for: error.errno))")
        }
        let termination = child.waitForExit()
        let errorText = child.stderrLines.joined(separator: "\n")
        switch termination {
        case .exited(let code): return (code == 0, errorText)
        case .killed(let signal): return (false, "killed by signal \(signal)\n" + errorText)
        }
    }
}
