#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where the lab's programs (rudp-send, rudp-recv, lossproxy, rudp-lab) are: beside the running
/// executable, as the build puts them (`.build/release/rudp-send`, …), so that the lab runs
/// exactly the programs built with it, whatever PATH says.
public struct ProgramDirectory: Sendable, Equatable {
    public let path: String

    public init(path: String) {
        self.path = path
    }

    /// The directory of the running executable (/proc/self/exe on Linux, argv[0] elsewhere).
    public static func besideExecutable() -> ProgramDirectory {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        #if os(Linux)
        let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        if length > 0 {
            let executable = String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            return ProgramDirectory(path: parentDirectory(executable))
        }
        #endif
        if let resolved = realpath(CommandLine.arguments.first ?? ".", nil) {
            defer { free(resolved) }
            return ProgramDirectory(path: parentDirectory(String(cString: resolved)))
        }
        return ProgramDirectory(path: ".")
    }

    /// The path of `program`, or an error naming the fix when it is not there.
    public func executable(_ program: String) throws(SweepError) -> String {
        let candidate = path + "/" + program
        guard access(candidate, X_OK) == 0 else { throw SweepError(missing(program)) }
        return candidate
    }

    /// Why `program` cannot be run, and what to do about it.
    func missing(_ program: String) -> String {
        // `swift run rudp-lab` builds rudp-lab alone, not its siblings: name the command that
        // builds them all for the configuration this rudp-lab was built in.
        let build = path.hasSuffix("/release") ? "swift build -c release" : path.hasSuffix("/debug") ? "swift build" : nil
        guard let build else {
            return "\(program) not found next to rudp-lab in \(path); install all four programs in one directory "
                + "(or build them with swift build -c release and run .build/release/rudp-lab)"
        }
        let run = build == "swift build" ? "swift run rudp-lab" : "swift run -c release rudp-lab"
        return "\(program) not found next to rudp-lab in \(path): swift run builds rudp-lab alone; build every program "
            + "first with '\(build)', then run again (e.g. '\(build) && \(run) demo')"
    }

    private static func parentDirectory(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }
}
