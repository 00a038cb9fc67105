/// Random loss at a fixed rate: independent decisions, or, with a correlation ρ, a two-state
/// Markov chain of decisions whose long-run loss rate is still `probability`:
///
///     P(lost | previous lost) = p + ρ·(1 − p)      P(lost | previous kept) = p·(1 − ρ)
///
/// (the first datagram is lost with probability p). With ρ = 0 both are p: the same single
/// draw per datagram as independent loss, so seeded runs without correlation are unchanged.
struct BernoulliLoss {
    private let afterLoss: Double
    private let afterKeep: Double
    private let probability: Double
    private var previousLost: Bool?
    private var random: SeededRandom

    init(probability: Double, correlation: Double = 0, random: SeededRandom) {
        self.probability = probability
        afterLoss = probability + correlation * (1 - probability)
        afterKeep = probability * (1 - correlation)
        self.random = random
    }

    /// Decides the next datagram's fate: one draw per datagram.
    mutating func nextIsLost() -> Bool {
        let threshold = previousLost.map { $0 ? afterLoss : afterKeep } ?? probability
        let lost = random.nextBool(probability: threshold)
        previousLost = lost
        return lost
    }
}
