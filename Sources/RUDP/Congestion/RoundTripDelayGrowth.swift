/// HyStart++'s delay signal (RFC 9406 §4.2): a queue is building once the least RTT of a round
/// trip, over at least eight samples, stands above the last round's least by an eighth of it,
/// held within 4 to 16 ms. The least, not the largest: one late ACK (a repaired hole's) is no queue.
struct RoundTripDelayGrowth {
    static let thresholdBounds: ClosedRange<UInt64> = 4_000_000...16_000_000
    static let samplesPerRound = 8

    /// The least RTT of the round so far (`.max` before its first sample), and its samples.
    private(set) var roundMinimum: UInt64 = .max
    private(set) var samples = 0
    /// The least RTT of the last round that had its samples.
    private var previousRoundMinimum: UInt64?

    mutating func record(_ rtt: UInt64) {
        roundMinimum = min(roundMinimum, rtt)
        samples += 1
    }

    /// Whether the round has enough samples for its least RTT to count.
    var isSampled: Bool { samples >= Self.samplesPerRound }

    /// The test, valid on every acknowledgement once the round is sampled.
    var grew: Bool {
        guard isSampled, let previous = previousRoundMinimum else { return false }
        let bounds = Self.thresholdBounds
        return roundMinimum >= previous + min(max(previous / 8, bounds.lowerBound), bounds.upperBound)
    }

    /// A new round begins: this one's least RTT, if sampled, is what the next is compared with.
    mutating func startRound() {
        if isSampled { previousRoundMinimum = roundMinimum }
        roundMinimum = .max
        samples = 0
    }

    /// Forgets every round (slow start begins afresh).
    mutating func reset() { self = RoundTripDelayGrowth() }
}
