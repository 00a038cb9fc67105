/// A value that does not parse (a unit, a number, a choice); the argument parser prefixes the option name.
///
/// The message quotes the offending text and, where it helps, the accepted forms, for example
/// `'10' needs a unit: 10ms, 10s, 10us (units: ns, us, ms, s, m, h)`.
public struct ValueError: Error, CustomStringConvertible, Equatable, Sendable {
    /// One line naming the problem.
    public let message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
