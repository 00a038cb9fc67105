/// The address-validation tokens of one endpoint (as QUIC's NEW_TOKEN, RFC 9000 §8.1.3, and
/// TCP Fast Open's cookie, RFC 7413): minted for a sender's host in a SYN-ACK, which only that
/// host receives, and presented in its next SYN to prove the address without a round trip, so
/// that the receiver may answer more than three times what it received.
///
/// A token is `expiry (8 bytes, the endpoint's clock in ns) ‖ HMAC-SHA-256(secret, "RUDP address
/// token 1" ‖ family ‖ address ‖ expiry), first 16 bytes`. It names the host, not the port (a
/// sender's next connection comes from a new port), and nothing else: no state is kept per
/// token minted. Each token is taken once: the endpoint remembers the ones it took until they
/// expire, so a SYN recorded and replayed, even from the right address, does not lift the limit
/// again (a fresh SYN-ACK hands the sender a fresh token).
struct AddressTokens {
    static let tokenLength = 24
    static let macLength = 16
    private static let label = Array("RUDP address token 1".utf8)

    private let secret: [UInt8]
    let lifetime: UInt64
    /// Tokens taken and not yet expired, oldest first (all live as long, so the oldest expires first).
    private var taken = RingQueue<(mac: [UInt8], expiry: UInt64)>(capacity: 64)
    private var takenMACs = Set<[UInt8]>()
    private let capacity: Int

    init(secret: [UInt8], lifetime: UInt64, capacity: Int) {
        self.secret = secret
        self.lifetime = lifetime
        self.capacity = capacity
    }

    /// A token for `peer`'s host valid until `now + lifetime`.
    func mint(for peer: PeerAddress, now: UInt64) -> [UInt8] {
        let expiry = now &+ lifetime
        var token = Self.bigEndianBytes(expiry)
        token += mac(peer: peer, expiry: expiry)
        return token
    }

    /// Takes `token` from `peer` at `now`: `.accepted` if it validates the address (it is then
    /// spent), else why not.
    mutating func redeem(_ token: [UInt8], from peer: PeerAddress, now: UInt64) -> AddressTokenVerdict {
        guard token.count == Self.tokenLength else { return .malformed }
        let expiry = token[0..<8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        let presented = Array(token[8...])
        guard Self.constantTimeEqual(presented, mac(peer: peer, expiry: expiry)) else { return .forged }
        // A token minted for longer than this endpoint's lifetime was minted by no one here.
        guard expiry > now, expiry - now <= lifetime else { return .expired }
        forgetExpired(now: now)
        guard !takenMACs.contains(presented) else { return .alreadyUsed }
        // Full of live tokens: refuse rather than forget one that could then be replayed.
        guard takenMACs.count < capacity else { return .noRoom }
        taken.append((presented, expiry))
        takenMACs.insert(presented)
        return .accepted
    }

    private mutating func forgetExpired(now: UInt64) {
        while let oldest = taken.first, oldest.expiry <= now {
            takenMACs.remove(oldest.mac)
            _ = taken.popFirst()
        }
    }

    private func mac(peer: PeerAddress, expiry: UInt64) -> [UInt8] {
        var mac = HMACSHA256(key: secret)
        mac.update(Self.label)
        mac.update([peer.family.rawValue])
        mac.update(Self.bigEndianBytes(peer.high) + Self.bigEndianBytes(peer.low))
        mac.update(Self.bigEndianBytes(expiry))
        return Array(mac.finalize().bytes.prefix(Self.macLength))
    }

    private static func bigEndianBytes(_ value: UInt64) -> [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: value >> (56 - 8 * $0)) }
    }

    /// Compares without stopping at the first difference, so the time taken says nothing of
    /// how much of a forged MAC was right.
    private static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }
}

/// What became of the address-validation token a SYN presented.
public enum AddressTokenVerdict: Equatable, Sendable {
    /// The SYN presented none (it may have asked for one).
    case notPresented
    /// Minted here for this host, unexpired, not used before: the address is proved.
    case accepted
    /// Not of the endpoint's format.
    case malformed
    /// Its MAC is wrong: minted by someone else, for another host, or altered.
    case forged
    case expired
    /// Presented before (a replayed SYN, or a sender reusing it): taken once only.
    case alreadyUsed
    /// The memory of tokens taken is full of live ones: refused rather than forgotten.
    case noRoom
}
