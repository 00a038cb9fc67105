import Impairment
import RUDP
import RUDPSim

/// Links used by the simulation tests.
enum TestLinks {
    /// Loss `p` in each direction plus reordering, duplication, corruption, delay and jitter.
    static func hostile(loss: Double) -> ImpairmentConfig {
        var config = ImpairmentConfig()
        config.loss = loss
        config.delay = 5_000_000
        config.jitter = 1_000_000
        config.reorder = 0.05
        config.reorderGap = 3_000_000
        config.duplicate = 0.02
        config.corrupt = 0.01
        return config
    }

    static func delayOnly(_ delay: UInt64 = 5_000_000) -> ImpairmentConfig {
        var config = ImpairmentConfig()
        config.delay = delay
        return config
    }
}

extension TransferOutcome {
    /// A one-paragraph account of a run, for failure messages.
    func summary(_ scenario: TransferScenario) -> String {
        "reproduce with: \(scenario.reproduction)\n sender: \(senderState), receiver: \(String(describing: receiverState)), "
            + "delivered \(bytesDelivered) bytes (match: \(deliveredBytesMatch)), hung: \(hung), end: \(endTime) ns\n"
            + " \(senderStatistics)"
    }
}
