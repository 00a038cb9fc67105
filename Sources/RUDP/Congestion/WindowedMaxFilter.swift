/// The largest value seen over the last `length` rounds (BBR's bottleneck-bandwidth filter):
/// one best value per round in a ring, so a round that ends forgets the oldest.
struct WindowedMaxFilter {
    private var rounds: [(round: Int, value: Double)]
    let length: Int

    init(length: Int) {
        self.length = length
        rounds = Array(repeating: (-1, 0), count: length)
    }

    /// Records `value` as measured in `round`.
    mutating func update(_ value: Double, round: Int) {
        let slot = round % length
        if rounds[slot].round != round {
            rounds[slot] = (round, value)
        } else if value > rounds[slot].value {
            rounds[slot].value = value
        }
    }

    /// The largest value of rounds `round − length + 1 … round`; 0 before any.
    func best(round: Int) -> Double {
        var best = 0.0
        for entry in rounds where entry.round > round - length && entry.round <= round { best = max(best, entry.value) }
        return best
    }
}
