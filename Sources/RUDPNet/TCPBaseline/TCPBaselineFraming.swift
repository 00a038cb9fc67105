import SystemKit
import RUDP

/// The framing of the TCP baseline (`rudp-send --protocol tcp`): just enough around the
/// file bytes to give the transfer the same name, refusal and integrity handling as RUDP.
///
/// All integers are big-endian (network byte order).
///
///     client → server  HEADER  magic           8 bytes  "RUDPTCP1"
///                              name length     u16      at most 4096
///                              name            bytes    exactly as the sender gave it
///                              file size       u64      0xFFFFFFFFFFFFFFFF = unknown (a pipe)
///     server → client  STATUS  code            u8       0 = accepted
///                              message length  u16      at most 512
///                              message         UTF-8    why not, when the code is not 0
///     client → server  CHUNK   length          u32      1 ... 16 MiB
///     (repeated)               data            bytes    the next `length` bytes of the file
///     client → server  KEEPALIVE length        u32      0xFFFFFFFF, no data: the client is
///     (any time between chunks)                          waiting for its input (a slow pipe)
///     client → server  END     length          u32      0
///                              SHA-256         32 bytes of the whole file
///     server → client  STATUS  code 0: the file is saved under its final name; else why not
///
/// Then both sides close. The server checks every length before acting on it: a bad magic,
/// a name longer than 4096 bytes, a chunk longer than 16 MiB, more bytes than the size
/// announced, or anything after the SHA-256 ends the transfer with a protocol-violation
/// status. The chunk data is never buffered whole, so no field makes the server allocate.
///
/// A non-zero STATUS code is a `ResetCode` raw value (1 unsafe name, 2 file exists, 3 integrity
/// failure, 4 receiver I/O error, 5 idle timeout, 6 cancelled, 8 protocol violation, 9 busy),
/// or 255 for any other reason. The server may send one at any time, also while the data is
/// still streaming (a full disk, an idle timeout, a shutdown); it then stops writing, discards
/// what is still in flight until the client closes (for at most a couple of seconds), and
/// closes, so that the client reads the status rather than a connection reset. A client that
/// stops early simply closes: the server discards the partial file. Nothing is ever saved
/// under the final name unless the size (when announced) and the SHA-256 match.
public enum TCPBaselineFraming {
    /// The first eight bytes of every connection: "RUDPTCP1".
    public static let magic: [UInt8] = Array("RUDPTCP1".utf8)
    /// The longest name the header carries (the receiver's own policy allows 255 bytes).
    public static let maxNameLength = 4096
    /// The file size field's value for "unknown in advance".
    public static let unknownSize = UInt64.max
    /// The longest chunk a server accepts.
    public static let maxChunkLength = 16 << 20
    /// The longest STATUS message.
    public static let maxMessageLength = 512
    /// The chunk length that marks a KEEPALIVE, which carries no data: without it a receiver
    /// would end a transfer whose sender waits for a slow standard input as idle.
    public static let keepaliveMarker = UInt32.max
    /// Bytes of a chunk's length prefix.
    public static let chunkPrefixLength = 4
    /// Bytes of the SHA-256 after the end marker.
    public static let digestLength = 32
    /// Bytes of a STATUS before its message.
    static let statusPrefixLength = 3
    /// Bytes of the fixed part of the HEADER before the name.
    static let headerPrefixLength = magic.count + 2

    /// The HEADER for a file of `size` bytes (nil = unknown) sent under `name`.
    static func encodeHeader(name: [UInt8], size: UInt64?) -> [UInt8] {
        precondition(name.count <= maxNameLength, "name longer than the header carries")
        var bytes = magic
        bytes.reserveCapacity(headerPrefixLength + name.count + 8)
        append(UInt16(name.count), to: &bytes)
        bytes.append(contentsOf: name)
        append(size ?? unknownSize, to: &bytes)
        return bytes
    }

    /// Decodes a HEADER at the start of `bytes`: the header and the bytes it took, nil while
    /// incomplete, or an error as soon as what arrived cannot be a valid header.
    static func decodeHeader(_ bytes: UnsafeRawBufferPointer) throws(TCPFramingError) -> (TCPTransferHeader, Int)? {
        let magicSeen = min(bytes.count, magic.count)
        guard bytes[0..<magicSeen].elementsEqual(magic[0..<magicSeen]) else {
            throw TCPFramingError("the peer does not speak the TCP baseline protocol (bad magic)")
        }
        guard bytes.count >= headerPrefixLength else { return nil }
        let nameLength = Int(load(UInt16.self, bytes, at: magic.count))
        guard nameLength <= maxNameLength else {
            throw TCPFramingError("file name of \(nameLength) bytes in the header (at most \(maxNameLength))")
        }
        let total = headerPrefixLength + nameLength + 8
        guard bytes.count >= total else { return nil }
        let name = Array(bytes[headerPrefixLength..<(headerPrefixLength + nameLength)])
        let size = load(UInt64.self, bytes, at: headerPrefixLength + nameLength)
        return (TCPTransferHeader(name: name, size: size == unknownSize ? nil : size), total)
    }

    // MARK: Big-endian fields (namespaced here so they cannot clash with other helpers in the module)

    /// The big-endian integer at `offset` (any alignment); the caller has checked the length.
    @inline(__always)
    static func load<T: FixedWidthInteger>(_ type: T.Type, _ bytes: UnsafeRawBufferPointer, at offset: Int) -> T {
        T(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self))
    }

    /// Stores `value` big-endian at `offset` (any alignment).
    @inline(__always)
    static func store<T: FixedWidthInteger>(_ value: T, _ bytes: UnsafeMutableRawBufferPointer, at offset: Int) {
        bytes.storeBytes(of: value.bigEndian, toByteOffset: offset, as: T.self)
    }

    static func append<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }

    // MARK: Status codes

    /// The STATUS code for a failure.
    static func statusCode(for code: ResetCode) -> UInt8 {
        UInt8(exactly: code.rawValue).map { $0 == 0 ? 255 : $0 } ?? 255
    }

    /// The failure a non-zero STATUS code stands for.
    static func resetCode(forStatus code: UInt8) -> ResetCode {
        ResetCode(rawValue: UInt16(code)) ?? .other
    }
}

/// What a client announces in its HEADER.
struct TCPTransferHeader: Equatable {
    var name: [UInt8]
    /// nil when the sender does not know the size in advance.
    var size: UInt64?
}

/// Bytes on a TCP baseline connection that break its framing.
struct TCPFramingError: Error, Equatable, CustomStringConvertible {
    let message: String
    init(_ message: String) { self.message = message }
    var description: String { message }
}
