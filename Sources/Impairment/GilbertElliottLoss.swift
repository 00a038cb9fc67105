/// Two-state Markov burst loss (see `GilbertElliott` for the model and its parameters).
struct GilbertElliottLoss {
    private let model: GilbertElliott
    private var random: SeededRandom
    /// The chain starts in the good state, as netem's does.
    private var isBad = false

    init(model: GilbertElliott, random: SeededRandom) {
        self.model = model
        self.random = random
    }

    /// Decides the next datagram's fate with the loss probability of the current state, then
    /// steps the chain: two draws per datagram, always, so the stream never drifts.
    mutating func nextIsLost() -> Bool {
        let lost = random.nextBool(probability: isBad ? model.lossInBad : model.lossInGood)
        let leaves = random.nextBool(probability: isBad ? model.r : model.p)
        if leaves { isBad.toggle() }
        return lost
    }
}
