/// HMAC-SHA-256 (RFC 2104, FIPS 198-1) over the package's own SHA-256: the MAC that makes an
/// address-validation token unforgeable by anyone without the endpoint's secret.
public struct HMACSHA256: Sendable {
    private var inner: SHA256
    private let outerKeyPad: [UInt8]

    /// Starts a MAC keyed with `key` (any length; longer than a block is hashed first).
    public init(key: some Collection<UInt8>) {
        var block = key.count > SHA256.blockByteCount ? SHA256.hash(key).bytes : Array(key)
        block += [UInt8](repeating: 0, count: SHA256.blockByteCount - block.count)
        inner = SHA256()
        inner.update(block.map { $0 ^ 0x36 })
        outerKeyPad = block.map { $0 ^ 0x5c }
    }

    public mutating func update(_ bytes: some Collection<UInt8>) { inner.update(bytes) }

    /// The 32-byte MAC of everything updated so far.
    public func finalize() -> SHA256Digest {
        var innerHash = inner
        var outer = SHA256()
        outer.update(outerKeyPad)
        outer.update(innerHash.finalize().bytes)
        return outer.finalize()
    }

    /// The MAC of `message` under `key`.
    public static func authenticate(_ message: some Collection<UInt8>, key: some Collection<UInt8>) -> SHA256Digest {
        var mac = HMACSHA256(key: key)
        mac.update(message)
        return mac.finalize()
    }
}
