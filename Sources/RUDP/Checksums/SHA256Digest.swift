/// A 32-byte SHA-256 digest, held inline (no heap storage) and printed as lowercase hex.
public struct SHA256Digest: Hashable, Sendable, CustomStringConvertible {
    /// The digest bytes in order, as the memory of four words, so `withUnsafeBytes` can
    /// expose them without copying on any byte order.
    private var storage: (UInt64, UInt64, UInt64, UInt64)

    static let byteCount = 32

    /// Builds a digest from four words whose big-endian bytes, in order, are the digest.
    init(words: (UInt64, UInt64, UInt64, UInt64)) {
        storage = (words.0.bigEndian, words.1.bigEndian, words.2.bigEndian, words.3.bigEndian)
    }

    /// The digest made of exactly 32 `bytes`, or nil for any other length.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == Self.byteCount else { return nil }
        storage = (0, 0, 0, 0)
        withUnsafeMutableBytes(of: &storage) { destination in
            for (index, byte) in bytes.enumerated() { destination[index] = byte }
        }
    }

    /// The digest spelled by 64 hex digits (either case), or nil for anything else.
    public init?(hex: String) {
        let digits = hex.utf8
        guard digits.count == 2 * Self.byteCount else { return nil }
        var remainingDigits = digits.makeIterator()
        var storage: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        let valid = withUnsafeMutableBytes(of: &storage) { destination -> Bool in
            for index in 0..<Self.byteCount {
                guard let high = remainingDigits.next().flatMap(Self.nibble),
                    let low = remainingDigits.next().flatMap(Self.nibble)
                else { return false }
                destination[index] = high << 4 | low
            }
            return true
        }
        guard valid else { return nil }
        self.storage = storage
    }

    private static func nibble(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// Calls `body` with the 32 digest bytes in order.
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try Swift.withUnsafeBytes(of: storage, body)
    }

    /// The 32 digest bytes in order.
    public var bytes: [UInt8] {
        withUnsafeBytes { Array($0) }
    }

    /// The digest as 64 lowercase hex digits, the form `sha256sum` prints.
    public var hex: String {
        withUnsafeBytes { digest in
            String(unsafeUninitializedCapacity: 2 * Self.byteCount) { characters in
                let digits: StaticString = "0123456789abcdef"
                let table = digits.utf8Start
                for (index, byte) in digest.enumerated() {
                    characters[2 * index] = table[Int(byte >> 4)]
                    characters[2 * index + 1] = table[Int(byte & 0x0f)]
                }
                return 2 * Self.byteCount
            }
        }
    }

    public var description: String { hex }

    public static func == (lhs: SHA256Digest, rhs: SHA256Digest) -> Bool {
        lhs.storage.0 == rhs.storage.0 && lhs.storage.1 == rhs.storage.1
            && lhs.storage.2 == rhs.storage.2 && lhs.storage.3 == rhs.storage.3
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(storage.0)
        hasher.combine(storage.1)
        hasher.combine(storage.2)
        hasher.combine(storage.3)
    }
}
