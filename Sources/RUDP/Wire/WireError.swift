/// Why a datagram is not a valid RUDP packet; its description is the one line a user sees.
public enum WireError: Error, Equatable, Sendable, CustomStringConvertible {
    case truncated(length: Int, needed: Int)
    case unsupportedVersion(UInt8)
    case unknownType(UInt8)
    case lengthMismatch(declared: Int, actual: Int)
    case tooManySackBlocks(Int)
    case checksumMismatch
    case malformedPayload(String)
    case bufferTooSmall(needed: Int, available: Int)

    public var description: String {
        switch self {
        case .truncated(let length, let needed):
            return "packet truncated: \(length) bytes, at least \(needed) needed"
        case .unsupportedVersion(let version):
            return "unsupported protocol version \(version) (this build speaks version \(WireLayout.version))"
        case .unknownType(let type):
            return "unknown packet type \(type)"
        case .lengthMismatch(let declared, let actual):
            return "packet length \(actual) does not match the \(declared) bytes its header declares"
        case .tooManySackBlocks(let count):
            return "\(count) SACK blocks (at most \(WireLayout.maxSackBlocks) allowed)"
        case .checksumMismatch:
            return "CRC32C checksum mismatch (corrupted packet)"
        case .malformedPayload(let why):
            return "malformed payload: \(why)"
        case .bufferTooSmall(let needed, let available):
            return "output buffer of \(available) bytes is too small for a \(needed)-byte packet"
        }
    }
}
