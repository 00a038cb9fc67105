/// Independent loss: each datagram is dropped with the same probability.
struct BernoulliLoss {
    private let probability: Double
    private var random: SeededRandom

    init(probability: Double, random: SeededRandom) {
        self.probability = probability
        self.random = random
    }

    /// Decides the next datagram's fate: one draw per datagram.
    mutating func nextIsLost() -> Bool {
        random.nextBool(probability: probability)
    }
}
