/// A one-line failure a program raises itself (not a usage mistake); `runMain` prints it and exits 1.
///
/// Errors from other layers need not use this type: `runMain` prints the description of any
/// `CustomStringConvertible` error the same way. This is for failures the program itself detects.
public struct RuntimeFailure: Error, CustomStringConvertible, Equatable, Sendable {
    /// What failed and, where it helps, what to do about it.
    public let message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
