/// A small, fast, reproducible random number generator: xoshiro256** seeded through SplitMix64.
///
/// Every random decision in the impairment engine comes from one of these, so the same seed and
/// the same traffic give the same decisions on every run and every platform. Named streams
/// (`init(seed:stream:)`) give each stage its own independent sequence derived from one seed.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var s0: UInt64
    private var s1: UInt64
    private var s2: UInt64
    private var s3: UInt64

    /// A generator whose whole sequence is determined by `seed`.
    public init(seed: UInt64) {
        // SplitMix64 spreads any seed (0, 1, 2, ...) over the full 256-bit state, as the
        // xoshiro authors recommend; consecutive seeds give unrelated sequences.
        var mixer = seed
        s0 = SeededRandom.splitMix(&mixer)
        s1 = SeededRandom.splitMix(&mixer)
        s2 = SeededRandom.splitMix(&mixer)
        s3 = SeededRandom.splitMix(&mixer)
        if s0 | s1 | s2 | s3 == 0 { s0 = 1 }  // the one state xoshiro can never leave
    }

    /// The generator of the stream called `stream` under `seed`: streams with different names
    /// are independent, so adding draws to one never shifts another.
    public init(seed: UInt64, stream: String) {
        self.init(seed: SeededRandom.streamSeed(seed, stream: stream))
    }

    /// The seed of the stream called `stream` under `seed` (stable across runs and platforms,
    /// unlike `Hasher`, which is randomly keyed per process).
    public static func streamSeed(_ seed: UInt64, stream: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a 64
        for byte in stream.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        }
        var mixer = seed ^ hash
        return splitMix(&mixer)
    }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        let result = rotateLeft(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = rotateLeft(s3, 45)
        return result
    }

    /// A uniformly distributed double in [0, 1), with 53 random bits.
    public mutating func nextDouble() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// A uniformly distributed integer in 0..<bound, without modulo bias (Lemire's method).
    /// `bound` must be positive.
    public mutating func nextBelow(_ bound: UInt64) -> UInt64 {
        precondition(bound > 0, "nextBelow needs a positive bound")
        var product = next().multipliedFullWidth(by: bound)
        if product.low < bound {
            let threshold = (0 &- bound) % bound
            while product.low < threshold {
                product = next().multipliedFullWidth(by: bound)
            }
        }
        return product.high
    }

    /// True with probability `probability` (0 never, 1 always); always consumes one draw so
    /// that a stream's position depends only on how many decisions it has made.
    public mutating func nextBool(probability: Double) -> Bool {
        nextDouble() < probability
    }

    private static func splitMix(_ state: inout UInt64) -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }

    private func rotateLeft(_ x: UInt64, _ k: UInt64) -> UInt64 {
        (x << k) | (x >> (64 - k))
    }
}
