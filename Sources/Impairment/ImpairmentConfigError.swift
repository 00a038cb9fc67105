/// An impossible impairment setting: which field, and what is wrong and allowed.
public struct ImpairmentConfigError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The `ImpairmentConfig` property at fault, e.g. `loss` or `burstLoss.p`.
    public let field: String
    /// What is wrong and what is allowed, e.g. `1.5 is not a probability (allowed 0...1)`.
    public let problem: String

    /// The error for `field` with the explanation `problem`.
    public init(field: String, problem: String) {
        self.field = field
        self.problem = problem
    }

    /// One line for a user: `loss: 1.5 is not a probability (allowed 0...1)`.
    public var description: String { "\(field): \(problem)" }
}
