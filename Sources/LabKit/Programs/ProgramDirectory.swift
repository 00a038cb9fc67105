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
        // `swift run rudp-lab` builds rudp-lab alone, not its siblings.
        "\(program) not found next to rudp-lab in \(path); build all the programs first: swift build -c release "
            + "(or swift build, for debug builds)"
    }

    private static func parentDirectory(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }
}
