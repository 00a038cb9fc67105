#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SystemKit

/// A file-handling failure, described in the one line a user sees.
public struct FileError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What kind of failure, for the reset code sent to the peer.
    public enum Kind: Sendable, Equatable {
        case exists
        case integrity
        case io
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    /// `what: strerror (errno N)` for the current errno.
    static func io(_ what: String, errno code: Int32) -> FileError {
        FileError(.io, "\(what): \(SystemError.message(for: code))")
    }

    public var description: String { message }
}
