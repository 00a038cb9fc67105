#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SystemKit

/// Writes a pcapng file (one section, any number of interfaces, enhanced packet blocks with a
/// comment each), as Wireshark and tshark read it; the format is draft-ietf-opsawg-pcapng.
///
/// Blocks are built in memory and written in large chunks (`flushThreshold`), so that a
/// capture costs the forwarding loop a copy per packet and a `write` per many packets. Every
/// number is written in this machine's byte order, which the section header's byte-order
/// magic tells readers.
final class PcapngWriter {
    /// LINKTYPE_RAW: each packet begins with its IPv4 or IPv6 header.
    static let linkTypeRaw: UInt16 = 101
    /// Which way a packet went through the interface (epb_flags bits 0–1).
    enum Direction: UInt32 {
        case inbound = 1
        case outbound = 2
    }

    /// Buffered bytes written once this many are waiting.
    static let flushThreshold = 1 << 16

    private let fileDescriptor: Int32
    private var buffer: [UInt8] = []
    private var interfaceCount: UInt32 = 0

    /// Starts a section on `fileDescriptor` (which the writer does not close), naming the
    /// program that wrote it (`shb_userappl`).
    init(fileDescriptor: Int32, application: String) {
        self.fileDescriptor = fileDescriptor
        buffer.reserveCapacity(Self.flushThreshold * 2)
        block(type: 0x0A0D_0D0A) { body in
            Self.append(UInt32(0x1A2B_3C4D), to: &body)
            Self.append(UInt16(1), to: &body)
            Self.append(UInt16(0), to: &body)
            Self.append(UInt64.max, to: &body)  // section length unknown (-1)
            Self.appendOption(code: 4, text: application, to: &body)
            Self.appendEndOfOptions(to: &body)
        }
    }

    /// Declares an interface (its packets have timestamps in nanoseconds) and returns its id.
    func addInterface(linkType: UInt16, name: String, description: String) -> UInt32 {
        block(type: 1) { body in
            Self.append(linkType, to: &body)
            Self.append(UInt16(0), to: &body)
            Self.append(UInt32(0), to: &body)  // no snapshot length limit
            Self.appendOption(code: 2, text: name, to: &body)
            Self.appendOption(code: 3, text: description, to: &body)
            Self.appendOption(code: 9, bytes: [9], to: &body)  // if_tsresol: 10^-9 s
            Self.appendEndOfOptions(to: &body)
        }
        interfaceCount += 1
        return interfaceCount - 1
    }

    /// Appends one packet: `header` then `payload` as its bytes, seen at `timestamp`
    /// (ns since the Unix epoch), with `comment` (opt_comment) and its direction (epb_flags).
    func appendPacket(interface: UInt32, timestamp: UInt64, header: [UInt8] = [], payload: UnsafeRawBufferPointer,
                      direction: Direction, comment: String) {
        precondition(interface < interfaceCount, "packet on an undeclared interface")
        block(type: 6) { body in
            let length = UInt32(header.count + payload.count)
            Self.append(interface, to: &body)
            Self.append(UInt32(truncatingIfNeeded: timestamp >> 32), to: &body)
            Self.append(UInt32(truncatingIfNeeded: timestamp), to: &body)
            Self.append(length, to: &body)
            Self.append(length, to: &body)
            body.append(contentsOf: header)
            body.append(contentsOf: payload)
            Self.padToFour(&body)
            Self.appendOption(code: 1, text: comment, to: &body)
            Self.appendOption(code: 2, bytes: Self.bytes(of: direction.rawValue), to: &body)
            Self.appendEndOfOptions(to: &body)
        }
    }

    /// Whether enough is buffered that the caller should `flush()` now.
    var wantsFlush: Bool { buffer.count >= Self.flushThreshold }

    /// Writes everything buffered. On error the buffer is discarded (the file is incomplete).
    func flush() throws(SystemError) {
        defer { buffer.removeAll(keepingCapacity: true) }
        guard !buffer.isEmpty else { return }
        var failure: SystemError?
        buffer.withUnsafeBytes { bytes in
            do throws(SystemError) { try Posix.writeAll(fileDescriptor, bytes) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    // MARK: - Block layout

    /// Appends a block: type, total length, the body `fill` builds (a multiple of 4 bytes), total length again.
    private func block(type: UInt32, _ fill: (inout [UInt8]) -> Void) {
        let start = buffer.count
        Self.append(type, to: &buffer)
        Self.append(UInt32(0), to: &buffer)
        fill(&buffer)
        let total = UInt32(buffer.count - start + 4)
        Self.append(total, to: &buffer)
        withUnsafeBytes(of: total) { buffer.replaceSubrange(start + 4 ..< start + 8, with: $0) }
    }

    private static func appendOption(code: UInt16, text: String, to body: inout [UInt8]) {
        appendOption(code: code, bytes: Array(text.utf8), to: &body)
    }

    private static func appendOption(code: UInt16, bytes: [UInt8], to body: inout [UInt8]) {
        append(code, to: &body)
        append(UInt16(bytes.count), to: &body)
        body.append(contentsOf: bytes)
        padToFour(&body)
    }

    private static func appendEndOfOptions(to body: inout [UInt8]) {
        append(UInt32(0), to: &body)
    }

    private static func padToFour(_ body: inout [UInt8]) {
        while body.count % 4 != 0 { body.append(0) }
    }

    private static func append<Value: FixedWidthInteger>(_ value: Value, to body: inout [UInt8]) {
        withUnsafeBytes(of: value) { body.append(contentsOf: $0) }
    }

    private static func bytes<Value: FixedWidthInteger>(of value: Value) -> [UInt8] {
        withUnsafeBytes(of: value) { Array($0) }
    }
}
