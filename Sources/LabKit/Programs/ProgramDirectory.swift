#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Where the lab's programs (rudp-send, rudp-recv, lossproxy) are: beside the running
/// executable, as the build puts them, so a sweep runs exactly the programs built with it.
public struct ProgramDirectory: Sendable, Equatable {
    public let path: String

    public init(path: String) {
        self.path = path
    }

    /// The directory of the running executable (/proc/self/exe on Linux, argv[0] elsewhere).
    public static func besideExecutable() -> ProgramDirectory {
        #if os(Linux)
        if let resolved = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            return ProgramDirectory(path: (resolved as NSString).deletingLastPathComponent)
        }
        #endif
        let argument = CommandLine.arguments.first ?? "."
        let absolute = URL(fileURLWithPath: argument).standardizedFileURL.resolvingSymlinksInPath()
        return ProgramDirectory(path: absolute.deletingLastPathComponent().path)
    }

    /// The path of `program`, or an error naming the fix when it is not there.
    public func executable(_ program: String) throws -> String {
        let candidate = path + "/" + program
        guard access(candidate, X_OK) == 0 else {
            throw SweepError("\(program) not found in \(path); build every program first (swift build -c release)")
        }
        return candidate
    }
}
