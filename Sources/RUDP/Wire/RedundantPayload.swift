/// The payload of a DATA packet flagged `PacketFlags.redundant`: copies of earlier packets the
/// sender has no acknowledgement of yet, then the packet's own bytes (RFC 2198's layout: the
/// block headers first, the primary data last), so one loss costs no round trip.
///
///     count                 UInt8, 1 ... maxCopies
///     count × { distance    UInt16: own sequence number − the copy's, ≥ 1
///               length }    UInt16: the copy's bytes, ≥ 1
///     the copies' bytes, in header order
///     the packet's own bytes: the rest, at least 1
///
/// The whole payload stays within the MSS: copies ride in the room a small message leaves.
public struct RedundantPayload {
    public static let maxCopies = 8
    public static let countSize = 1
    public static let blockHeaderSize = 4

    /// The bytes before the copies' data: the count and the block headers.
    public static func headerSize(copies: Int) -> Int { countSize + copies * blockHeaderSize }

    private let payload: UnsafeRawBufferPointer
    /// Copies carried, 1 ... maxCopies.
    public let copyCount: Int
    /// The packet's own bytes.
    public let primary: UnsafeRawBufferPointer

    /// Validates a redundant DATA payload: every length is checked before any copy is exposed.
    public init(decoding payload: UnsafeRawBufferPointer) throws(WireError) {
        guard payload.count >= Self.countSize else { throw .malformedPayload("redundant DATA without its copy count") }
        let count = Int(payload[0])
        guard count >= 1 && count <= Self.maxCopies else {
            throw .malformedPayload("redundant DATA with \(count) copies (1...\(Self.maxCopies) allowed)")
        }
        let dataStart = Self.headerSize(copies: count)
        guard payload.count > dataStart else { throw .malformedPayload("redundant DATA block headers truncated") }
        var copied = 0
        for block in 0..<count {
            let offset = Self.countSize + block * Self.blockHeaderSize
            let distance = payload.readBigEndian(offset, as: UInt16.self)
            let length = Int(payload.readBigEndian(offset + 2, as: UInt16.self))
            guard distance >= 1 else { throw .malformedPayload("redundant copy \(block) at distance 0 (its own packet)") }
            guard length >= 1 else { throw .malformedPayload("redundant copy \(block) is empty") }
            copied += length
        }
        guard dataStart + copied < payload.count else {
            throw .malformedPayload("redundant copies of \(copied) bytes leave no data of the packet's own in \(payload.count)")
        }
        self.payload = payload
        copyCount = count
        primary = UnsafeRawBufferPointer(rebasing: payload[(dataStart + copied)...])
    }

    /// Calls `body` with each copy's distance back and bytes, in the order they were written.
    public func forEachCopy(_ body: (_ distance: UInt64, _ bytes: UnsafeRawBufferPointer) throws -> Void) rethrows {
        var dataOffset = Self.headerSize(copies: copyCount)
        for block in 0..<copyCount {
            let offset = Self.countSize + block * Self.blockHeaderSize
            let distance = UInt64(payload.readBigEndian(offset, as: UInt16.self))
            let length = Int(payload.readBigEndian(offset + 2, as: UInt16.self))
            try body(distance, UnsafeRawBufferPointer(rebasing: payload[dataOffset..<(dataOffset + length)]))
            dataOffset += length
        }
    }

    /// Writes a redundant payload into `destination`, which must be exactly
    /// `headerSize(copies:) + Σ copies + primary` bytes long.
    public static func write(copies: [(distance: UInt16, bytes: UnsafeRawBufferPointer)], primary: UnsafeRawBufferPointer,
                             into destination: UnsafeMutableRawBufferPointer) {
        precondition(!copies.isEmpty && copies.count <= maxCopies, "1...\(maxCopies) copies")
        destination[0] = UInt8(copies.count)
        var dataOffset = headerSize(copies: copies.count)
        for (block, copy) in copies.enumerated() {
            let offset = countSize + block * blockHeaderSize
            destination.writeBigEndian(copy.distance, at: offset)
            destination.writeBigEndian(UInt16(copy.bytes.count), at: offset + 2)
            UnsafeMutableRawBufferPointer(rebasing: destination[dataOffset..<(dataOffset + copy.bytes.count)]).copyMemory(from: copy.bytes)
            dataOffset += copy.bytes.count
        }
        precondition(destination.count == dataOffset + primary.count, "redundant payload size")
        UnsafeMutableRawBufferPointer(rebasing: destination[dataOffset...]).copyMemory(from: primary)
    }
}
