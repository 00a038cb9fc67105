/// Why a transfer failed, as either side sees it; the description is the one line a user sees.
public enum TransferError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The receiver never answered the SYN.
    case peerUnreachable(attempts: Int)
    /// A packet (or the FIN) went unacknowledged through every allowed retransmission.
    case retriesExhausted(what: String, attempts: Int)
    /// The peer reset the connection, saying why.
    case peerReset(ResetCode, String)
    /// Nothing arrived from the peer for the idle timeout.
    case idleTimeout(nanoseconds: UInt64)
    /// This side stopped the transfer (a local decision: refused offer, I/O error, user interrupt).
    case aborted(ResetCode, String)
    /// The peer broke the protocol.
    case protocolViolation(String)

    public var description: String {
        switch self {
        case .peerUnreachable(let attempts):
            return "no answer from the receiver after \(attempts) connection attempts (is rudp-recv running there, and the port open?)"
        case .retriesExhausted(let what, let attempts):
            return "the receiver stopped answering: \(what) unacknowledged after \(attempts) retransmissions"
        case .peerReset(_, let message):
            return message
        case .idleTimeout(let nanoseconds):
            return "nothing heard from the peer for \(Double(nanoseconds) / 1e9) s (idle timeout)"
        case .aborted(_, let message):
            return message
        case .protocolViolation(let why):
            return "protocol violation by the peer: \(why)"
        }
    }

    /// The reset code that tells the peer about this failure.
    public var resetCode: ResetCode {
        switch self {
        case .peerUnreachable, .retriesExhausted: .cancelled
        case .peerReset(let code, _), .aborted(let code, _): code
        case .idleTimeout: .idleTimeout
        case .protocolViolation: .protocolViolation
        }
    }
}
