/// Sends some datagrams twice.
struct Duplication {
    private let probability: Double
    private var random: SeededRandom

    init(probability: Double, random: SeededRandom) {
        self.probability = probability
        self.random = random
    }

    /// Decides whether the next datagram is duplicated: one draw per datagram.
    mutating func nextIsDuplicated() -> Bool {
        random.nextBool(probability: probability)
    }
}
