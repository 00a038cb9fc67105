/// The payload of a PATH-CHALLENGE and of the PATH-RESPONSE that echoes it: 8 random bytes
/// (as QUIC's PATH_CHALLENGE frame, RFC 9000 §19.17), which only a peer that receives the
/// challenge at the address it went to can send back.
public struct PathPayload: Equatable, Sendable {
    /// The payload's size, exactly: anything else is malformed.
    public static let size = 8

    public var data: UInt64

    public init(data: UInt64) { self.data = data }

    public init(decoding bytes: UnsafeRawBufferPointer) throws(WireError) {
        guard bytes.count == Self.size else {
            throw .malformedPayload("path challenge data of \(bytes.count) bytes (exactly \(Self.size) expected)")
        }
        data = bytes.readBigEndian(0, as: UInt64.self)
    }

    public func encoded() -> [UInt8] {
        var writer = PayloadWriter()
        writer.write(data)
        return writer.bytes
    }
}
