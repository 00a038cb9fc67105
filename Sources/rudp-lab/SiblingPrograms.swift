#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CLIKit

/// The lab's other programs, found next to the running `rudp-lab` executable (as the build
/// puts them: `.build/release/rudp-send`, …), so that the lab runs exactly the programs built
/// with it, whatever PATH says.
enum SiblingPrograms {
    /// The directory holding the running executable.
    static let directory: String = {
        var path = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        #if os(Linux)
        let length = readlink("/proc/self/exe", &path, path.count - 1)
        if length > 0 {
            return parentDirectory(String(decoding: path[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        #endif
        // Elsewhere (or without /proc): resolve argv[0].
        if let resolved = realpath(CommandLine.arguments[0], nil) {
            defer { free(resolved) }
            return parentDirectory(String(cString: resolved))
        }
        return "."
    }()

    /// The path of program `name` beside this one; throws a one-line failure naming the fix
    /// when it is not there.
    static func path(of name: String) throws -> String {
        let path = directory + "/" + name
        guard access(path, X_OK) == 0 else {
            // `swift run rudp-lab` builds rudp-lab alone, not its siblings.
            throw RuntimeFailure(
                "\(name) not found next to rudp-lab in \(directory); build all the programs first: swift build -c release "
                    + "(or swift build, for debug builds)")
        }
        return path
    }

    private static func parentDirectory(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }
}
