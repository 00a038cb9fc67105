/// Why an address given by the user cannot be used; `description` is the line the user sees.
public enum AddressError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The text has none of the accepted shapes.
    case malformed(text: String, hint: String?)
    /// The port is not a decimal number.
    case portNotANumber(text: String, port: String)
    /// The port does not fit in 16 bits.
    case portOutOfRange(port: String)
    /// Port 0 means "any port" and only makes sense when listening.
    case zeroDestinationPort(text: String)
    /// Name resolution failed.
    case cannotResolve(host: String, reason: String)

    public var description: String {
        switch self {
        case .malformed(let text, let hint):
            let base = "'\(text)' is not HOST:PORT, [IPv6]:PORT or :PORT"
            return hint.map { "\(base) (\($0))" } ?? base
        case .portNotANumber(let text, let port):
            return "port '\(port)' in '\(text)' is not a number"
        case .portOutOfRange(let port):
            return "port \(port) out of range (0-65535)"
        case .zeroDestinationPort(let text):
            return "port 0 in '\(text)' is only valid for listening; give the port the receiver listens on"
        case .cannotResolve(let host, let reason):
            return "cannot resolve '\(host)': \(reason)"
        }
    }
}
