#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
/// The command line exactly as the kernel passed it: bytes, not text. On Linux a path is any
/// sequence of bytes but NUL, and `CommandLine.arguments` repairs invalid UTF-8 into U+FFFD, so a
/// file named `caf\xE9.txt` could not be opened, nor a name sent as given, from those strings.
public enum RawCommandLine {
    /// Every argument, the program path first, as bytes without the terminating NUL.
    public static var arguments: [[UInt8]] {
        (0..<Int(CommandLine.argc)).map { index in
            guard let pointer = CommandLine.unsafeArgv[index] else { return [] }
            return pointer.withMemoryRebound(to: UInt8.self, capacity: 1) { start in
                Array(UnsafeBufferPointer(start: start, count: strlen(pointer)))
            }
        }
    }
}
