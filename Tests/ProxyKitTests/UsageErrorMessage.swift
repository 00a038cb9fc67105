import CLIKit

/// The message of the `UsageError` that `parse` throws (the line the user sees), nil if it
/// throws nothing, `not a usage error: …` if it throws something else.
func usageErrorMessage(_ parse: () throws -> Any) -> String? {
    switch Result(catching: parse) {
    case .success: return nil
    case .failure(let error as UsageError): return error.description
    case .failure(let error): return "not a usage error: \(error)"
    }
}
