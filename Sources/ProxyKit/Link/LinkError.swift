/// Why the TUN link could not be set up or stopped working: one line for the user, naming the
/// cause and, where it helps, the fix.
public struct LinkError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The line shown to the user (without the program prefix).
    public let message: String

    /// An error with this message.
    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
