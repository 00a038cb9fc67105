#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import SystemKit

/// Where and when an experiment ran: machine, kernel, commit and date, for its README.
public struct RunEnvironment: Sendable, Equatable {
    /// `x86_64, 2 cores, Intel(R) Xeon(R) …`
    public var machine: String
    /// `Linux 6.1.0 #1 SMP …`
    public var kernel: String
    /// The commit of the working tree, with "+ uncommitted changes" when it differs from it
    /// outside results/.
    public var commit: String
    /// ISO 8601, UTC.
    public var date: String
    /// debug or release: measurements through real processes depend on it.
    public var build: String
    /// The kernel's default TCP congestion control here (each TCP run records the one it used).
    public var tcpCongestionControl: String?

    public init(machine: String, kernel: String, commit: String, date: String, build: String,
                tcpCongestionControl: String? = nil) {
        self.machine = machine
        self.kernel = kernel
        self.commit = commit
        self.date = date
        self.build = build
        self.tcpCongestionControl = tcpCongestionControl
    }

    /// The environment of this process, the commit read with git in `directory`.
    public static func current(date: Date = Date(), directory: String = FileManager.default.currentDirectoryPath) -> RunEnvironment {
        var names = utsname()
        uname(&names)
        func field<T>(_ value: T) -> String {
            withUnsafeBytes(of: value) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        }
        let cores = sysconf(Int32(_SC_NPROCESSORS_ONLN))
        var machine = "\(field(names.machine)), \(cores) core\(cores == 1 ? "" : "s")"
        if let model = cpuModel() { machine += ", \(model)" }
        #if DEBUG
        let build = "debug"
        #else
        let build = "release"
        #endif
        return RunEnvironment(
            machine: machine, kernel: "\(field(names.sysname)) \(field(names.release)) \(field(names.version))",
            commit: commit(in: directory), date: isoDate(date), build: build,
            tcpCongestionControl: TCPCongestionControl.systemDefault)
    }

    /// `2026-11-22T00:34:10Z`.
    public static func isoDate(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: date)
    }

    static func cpuModel() -> String? {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("model name") {
            return line.split(separator: ":", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) }
        }
        return nil
    }

    static func commit(in directory: String) -> String {
        let candidates: [String] = ["/usr/bin/git", "/usr/local/bin/git", "/bin/git"]
        guard let git = candidates.first(where: { access($0, X_OK) == 0 }) else {
            return "unknown (git not installed)"
        }
        func run(_ arguments: [String]) -> [String]? {
            guard let program = try? ChildProcess.launched(path: git, arguments: ["-C", directory] + arguments),
                  program.waitForExit(timeout: 10) == 0 else { return nil }
            return program.stdoutLines
        }
        guard let head = run(["rev-parse", "HEAD"])?.first, !head.isEmpty else { return "unknown (not a git checkout)" }
        // Results written earlier in the same regeneration are not changes to what ran.
        let changes = run(["status", "--porcelain", "--untracked-files=no", "--", ":(top)", ":(top,exclude)results"]) ?? []
        return changes.contains { !$0.isEmpty } ? "\(head) + uncommitted changes" : head
    }
}
