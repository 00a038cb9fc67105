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

    /// `what: strerror` for an errno value.
    static func io(_ what: String, errno code: Int32) -> FileError {
        FileError(.io, "\(what): \(SystemError.message(for: code))")
    }

    /// `what: strerror` for a failed call (its name stays out of what the user reads).
    static func io(_ what: String, _ error: SystemError) -> FileError {
        io(what, errno: error.errno)
    }

    public var description: String { message }
}
