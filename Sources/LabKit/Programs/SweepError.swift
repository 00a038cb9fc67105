/// A failure of the sweep machinery itself (a program missing, a link that cannot be set up),
/// as opposed to a transfer that failed; its description is the one line the user sees.
public struct SweepError: Error, CustomStringConvertible, Sendable, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
