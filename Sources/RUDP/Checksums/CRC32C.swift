import CRUDPShim

/// CRC-32C (Castagnoli), the integrity check carried by every packet of the wire format.
///
/// Parameters are those of iSCSI (RFC 3720) and SCTP (RFC 4960): polynomial 0x1EDC6F41,
/// processed bit-reflected (0x82F63B78), initial value 0xFFFFFFFF, final XOR 0xFFFFFFFF.
/// `update` takes and returns *finished* CRC values (the zlib `crc32()` convention): it undoes
/// the final XOR on entry and reapplies it on exit. So the CRC of nothing is 0, and
/// `update(update(0, a), b) == checksum(a + b)` for any split of a message into `a` and `b`.
public enum CRC32C {
    /// The reflected form of polynomial 0x1EDC6F41, for least-significant-bit-first processing.
    static let reflectedPolynomial: UInt32 = 0x82F6_3B78

    /// Slicing-by-8 tables, eight runs of 256 entries. Run 0 is the classic byte-at-a-time
    /// table; run k gives the effect of a byte followed by k zero bytes, so eight bytes can be
    /// folded in with eight independent lookups instead of a serial chain of eight.
    /// An immutable array of integers is Sendable, and a `static let` is initialized once, lazily
    /// and thread-safely, so this is safe under strict concurrency.
    static let tables: [UInt32] = makeTables()

    /// The CRC-32C of `bytes`.
    public static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        update(0, bytes)
    }

    /// The CRC-32C of `bytes`.
    public static func checksum(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBytes { update(0, $0) }
    }

    /// True when the CPU's crc32 instruction (SSE4.2) computes the checksum.
    public static let usesHardware = crudp_has_crc32c_instruction() == 1

    /// The CRC-32C of a message whose earlier part had CRC `crc` (0 for no earlier part) and
    /// which continues with `bytes`.
    @inline(__always)
    public static func update(_ crc: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
        guard usesHardware, let base = bytes.baseAddress else { return portableUpdate(crc, bytes) }
        return crudp_crc32c_update(crc, base.assumingMemoryBound(to: UInt8.self), bytes.count)
    }

    /// `update` in portable Swift (slicing-by-8): the fallback, and the reference the
    /// hardware path is tested against.
    public static func portableUpdate(_ crc: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
        guard var input = bytes.baseAddress, bytes.count > 0 else { return crc }
        var remaining = bytes.count
        var register = ~crc
        tables.withUnsafeBufferPointer { tables in
            let t = tables.baseAddress!
            while remaining >= 8 {
                // Byte 0 of the group is the one furthest from the end, hence run 7.
                let group = UInt64(littleEndian: input.loadUnaligned(as: UInt64.self)) ^ UInt64(register)
                let low = UInt32(truncatingIfNeeded: group)
                let high = UInt32(truncatingIfNeeded: group &>> 32)
                register = t[0x700 | Int(low & 0xff)]
                    ^ t[0x600 | Int((low &>> 8) & 0xff)]
                    ^ t[0x500 | Int((low &>> 16) & 0xff)]
                    ^ t[0x400 | Int(low &>> 24)]
                    ^ t[0x300 | Int(high & 0xff)]
                    ^ t[0x200 | Int((high &>> 8) & 0xff)]
                    ^ t[0x100 | Int((high &>> 16) & 0xff)]
                    ^ t[Int(high &>> 24)]
                input += 8
                remaining &-= 8
            }
            while remaining > 0 {
                let byte = input.load(as: UInt8.self)
                register = t[Int((register ^ UInt32(byte)) & 0xff)] ^ (register &>> 8)
                input += 1
                remaining &-= 1
            }
        }
        return ~register
    }

    /// The CRC-32C of a message whose earlier part had CRC `crc` and which continues with `bytes`.
    public static func update(_ crc: UInt32, _ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBytes { update(crc, $0) }
    }

    private static func makeTables() -> [UInt32] {
        var tables = [UInt32](repeating: 0, count: 8 * 256)
        for byte in 0..<256 {
            var register = UInt32(byte)
            for _ in 0..<8 {
                register = register & 1 == 1 ? (register >> 1) ^ reflectedPolynomial : register >> 1
            }
            tables[byte] = register
        }
        for run in 1..<8 {
            for byte in 0..<256 {
                let previous = tables[(run - 1) * 256 + byte]
                tables[run * 256 + byte] = (previous >> 8) ^ tables[Int(previous & 0xff)]
            }
        }
        return tables
    }
}
