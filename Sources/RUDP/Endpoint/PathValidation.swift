/// The addresses a connection's packets newly came from, each waiting to prove it receives what
/// the endpoint sends there (QUIC's path validation, RFC 9000 §8.2).
///
/// A NAT that rebinds moves the sender to a new address or port mid-transfer; so can anyone who
/// spoofs a packet of the connection. The endpoint therefore keeps sending to the connection's
/// address and sends each new address only an 8-byte random challenge, which the real sender,
/// receiving it there, echoes; only then does that address become the connection's. A spoofed
/// source never echoes (its owner never asked for the challenge, or does not know the
/// connection), so it never takes the transfer. Meanwhile the connection's packets are also
/// copied to the address its peer's latest packet came from (`reserveCopy`), so that a sender
/// that merely moved hears its acknowledgements at once instead of a round trip later. What a
/// new address is sent, challenges and copies together, stays within `amplificationFactor`
/// times what came from it, as for any unvalidated address.
struct PathValidation {
    /// One address being validated.
    struct Candidate {
        let address: PeerAddress
        let challenge: UInt64
        var bytesReceived: Int
        var bytesSent = 0
        /// When the latest challenge went out; nil until the first does.
        var lastChallenge: UInt64?
        /// A challenge is waiting for `pollChallenge`.
        var isChallengeDue = true

        /// Whether `bytes` more fit what the address may be sent before it proves itself.
        func allows(_ bytes: Int, amplificationFactor: Int) -> Bool {
            bytesSent + bytes <= amplificationFactor * bytesReceived
        }
    }

    /// Addresses validated at once at most: a few, so that a spoofer cannot keep the real
    /// sender's new address out by claiming one of its own.
    static let maxCandidates = 4
    /// Bytes of a PATH-CHALLENGE datagram.
    static let challengeSize = PacketEncoder.size(sackCount: 0, payloadLength: PathPayload.size)

    private(set) var candidates: [Candidate] = []

    var isEmpty: Bool { candidates.isEmpty }

    /// Counts a datagram of `length` bytes from `address`, a new address of the connection, and
    /// schedules a challenge to it unless one went out less than `interval` ago (a lost one is
    /// repeated as the sender keeps sending). `random` draws the challenge of a new address.
    mutating func noteArrival(from address: PeerAddress, length: Int, interval: UInt64, now: UInt64,
                              random: () -> UInt64) {
        if let index = candidates.firstIndex(where: { $0.address == address }) {
            candidates[index].bytesReceived += length
            if let last = candidates[index].lastChallenge, now >= last + interval { candidates[index].isChallengeDue = true }
            return
        }
        if candidates.count == Self.maxCandidates { candidates.removeFirst() }
        candidates.append(Candidate(address: address, challenge: random(), bytesReceived: length))
    }

    /// The next challenge to send, within its address's anti-amplification allowance, marked
    /// sent at `now`; nil when none is due (or none fits: the address must send more first).
    mutating func pollChallenge(amplificationFactor: Int, now: UInt64) -> (address: PeerAddress, challenge: UInt64)? {
        for index in candidates.indices where candidates[index].isChallengeDue {
            let candidate = candidates[index]
            guard candidate.allows(Self.challengeSize, amplificationFactor: amplificationFactor) else { continue }
            candidates[index].isChallengeDue = false
            candidates[index].lastChallenge = now
            candidates[index].bytesSent += Self.challengeSize
            return (candidate.address, candidate.challenge)
        }
        return nil
    }

    /// Counts `length` bytes copied to the candidate at `address` if they fit its allowance
    /// with room left for a challenge (which must still get through); false otherwise.
    mutating func reserveCopy(_ length: Int, to address: PeerAddress, amplificationFactor: Int) -> Bool {
        guard let index = candidates.firstIndex(where: { $0.address == address }) else { return false }
        guard candidates[index].allows(length + Self.challengeSize, amplificationFactor: amplificationFactor) else { return false }
        candidates[index].bytesSent += length
        return true
    }

    /// The candidate at `address` if `response` echoes the challenge sent there, else nil. On a
    /// match the validation is over: every candidate is dropped (the connection moves there).
    mutating func complete(_ response: PathPayload, from address: PeerAddress, length: Int) -> Candidate? {
        guard var candidate = candidates.first(where: { $0.address == address }), candidate.lastChallenge != nil,
              candidate.challenge == response.data else { return nil }
        candidates.removeAll()
        candidate.bytesReceived += length
        return candidate
    }

    /// Whether a challenge waits for `pollChallenge` (it may still wait for allowance).
    var hasChallengeDue: Bool { candidates.contains { $0.isChallengeDue } }
}
