/// Parameters of the two-state Gilbert-Elliott burst-loss model (netem `gemodel` semantics).
///
/// The chain is in a good or a bad state. Each datagram is lost with the loss probability of
/// the state it finds (`lossInGood`, `lossInBad`), then the chain steps: good→bad with
/// probability `p`, bad→good with probability `r`. In the simple two-parameter form every
/// datagram in the bad state is lost and none in the good state, so losses come in bursts of
/// mean length 1/r and the average loss rate is p/(p+r).
public struct GilbertElliott: Sendable, Equatable {
    /// Probability of moving from the good to the bad state after a datagram.
    public var p: Double
    /// Probability of moving from the bad to the good state after a datagram.
    public var r: Double
    /// Loss probability in the bad state (netem `1-h`; 1 in the simple model).
    public var lossInBad: Double
    /// Loss probability in the good state (netem `1-k`; 0 in the simple model).
    public var lossInGood: Double

    /// The model with transition probabilities `p` (good→bad) and `r` (bad→good).
    public init(p: Double, r: Double, lossInBad: Double = 1, lossInGood: Double = 0) {
        self.p = p
        self.r = r
        self.lossInBad = lossInBad
        self.lossInGood = lossInGood
    }

    /// The simple model whose average loss is `lossRate` and whose bursts last
    /// `meanBurstLength` datagrams on average: r = 1/L, p = x̄ / (L (1 − x̄)).
    /// Nil when no such model exists (needs 0 ≤ x̄ < 1, L ≥ 1 and x̄ ≤ L (1 − x̄) so p ≤ 1).
    public init?(lossRate: Double, meanBurstLength: Double) {
        guard lossRate >= 0, lossRate < 1, meanBurstLength >= 1, meanBurstLength.isFinite else {
            return nil
        }
        let p = lossRate / (meanBurstLength * (1 - lossRate))
        guard p <= 1 else { return nil }
        self.init(p: p, r: 1 / meanBurstLength)
    }

    /// Long-run fraction of datagrams that find the chain in the bad state: π_B = p/(p+r).
    /// A chain that never moves (p = r = 0) stays in its starting, good, state.
    public var badStateProbability: Double {
        p + r > 0 ? p / (p + r) : 0
    }

    /// Long-run loss rate: π_B · lossInBad + (1 − π_B) · lossInGood.
    public var averageLoss: Double {
        let bad = badStateProbability
        return bad * lossInBad + (1 - bad) * lossInGood
    }

    /// Mean number of consecutive datagrams spent in the bad state, 1/r (infinite if r = 0);
    /// in the simple model this is the mean loss-burst length.
    public var meanBadStateLength: Double {
        1 / r
    }
}
