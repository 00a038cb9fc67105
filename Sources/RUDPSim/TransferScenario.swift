import Impairment
import RUDP

/// One simulated transfer: protocol settings, file size, the link in each direction, and seeds.
public struct TransferScenario: Sendable {
    public var mode: TransferMode
    public var size: Int
    public var mss = 1200
    public var window = 64
    public var retransmission: RetransmissionTimer.Policy = .adaptive
    public var maxRetries = 10
    public var congestionControl: CongestionAlgorithm = .none
    /// Sender → receiver impairments.
    public var forward = ImpairmentConfig()
    /// Receiver → sender impairments.
    public var reverse = ImpairmentConfig()
    public var seed: UInt64
    /// The sender's SYN sequence number; by default derived from the seed.
    public var initialSequence: UInt32?
    public var receiverIdleTimeout: UInt64 = 10_000_000_000
    /// In-order packets the receiver acknowledges together; nil keeps the receiver's default
    /// (an animation sets 1: one ACK per packet, as in the textbook).
    public var receiverAckFrequency: Int?
    /// Whether the receiver waits as long as the sender announced it retries (rudp-recv without
    /// `--idle-timeout`) or exactly `receiverIdleTimeout` (with it).
    public var receiverIdleTimeoutFollowsSender = true
    /// How the receiving process lives: a server that keeps running, or `rudp-recv --once`.
    public var receiverLifecycle: ReceiverLifecycle = .server
    /// The receiver process disappears at this virtual time (it stops answering).
    public var receiverVanishesAt: UInt64?
    /// A NAT in front of the sender moves it to a new source port every this many nanoseconds
    /// (its datagrams then come from the new port, and the old port's mapping is gone: what the
    /// receiver sends there is lost), as `lossproxy --rebind` does; nil: the address never changes.
    public var rebindInterval: UInt64?
    /// 0-RTT: the sender's first packet rides in its SYN (`SenderConfiguration.sendsEarlyData`).
    public var earlyData = false
    /// Bytes the receiving application answers early data with (0: no answer); the answer is
    /// `ContentPattern` bytes from offset 1 << 40, so it differs from the file's.
    public var responseSize = 0
    /// Give up (and report a hang) past this much virtual time.
    public var timeLimit: UInt64 = 24 * 3_600 * 1_000_000_000

    public init(mode: TransferMode, size: Int, seed: UInt64) {
        self.mode = mode
        self.size = size
        self.seed = seed
    }

    /// The same impairments in both directions.
    public mutating func impairBoth(_ config: ImpairmentConfig) {
        forward = config
        reverse = config
    }

    /// The command-line form of this scenario, printed with a failure so it can be reproduced.
    public var reproduction: String {
        "mode=\(mode) cc=\(congestionControl) receiver=\(receiverLifecycle) early=\(earlyData) response=\(responseSize) size=\(size) mss=\(mss) window=\(window) seed=\(seed) isn=\(initialSequence.map(String.init) ?? "derived") "
            + (rebindInterval.map { "rebind=\($0 / 1_000_000)ms " } ?? "")
            + "forward=\(forward) reverse=\(reverse)"
    }
}

/// How the simulated receiving process lives, as rudp-recv does with and without `--once`.
public enum ReceiverLifecycle: String, Sendable, CaseIterable {
    /// It keeps running; connections it forgot are answered from its memory of confirmed
    /// transfers (the endpoint's, for a FIN retransmitted late).
    case server
    /// `--once`: the process exits when its transfer's connection closes (which, confirmed,
    /// lingers until the sender can send no more FIN), or when that transfer's handshake
    /// expired with no other connection open. Nothing answers for it afterwards.
    case once
}

/// What happened in a simulated transfer.
public struct TransferOutcome: Sendable {
    public var senderState: SenderState
    /// nil when no SYN ever reached the receiver.
    public var receiverState: ReceiverState?
    public var senderStatistics: SenderStatistics
    public var receiverStatistics: ReceiverStatistics?
    /// Bytes the receiver delivered in order to its application.
    public var bytesDelivered: Int
    /// False if any delivered byte differed from what was sent.
    public var deliveredBytesMatch: Bool
    /// Virtual time at which the sender finished or failed.
    public var senderEndTime: UInt64?
    /// Virtual time at which the simulation stopped.
    public var endTime: UInt64
    /// Virtual time at which a `.once` receiver exited, if it did.
    public var receiverExitTime: UInt64?
    /// FINs of the transfer that arrived after the receiver saved the file and got no FIN-ACK
    /// (its process had exited or vanished, or it did not recognise them): each one a chance,
    /// missed, to tell the sender its file was saved.
    public var finsUnanswered = 0
    /// The response the sender holds (0-RTT), and whether it is exactly what the receiver answered.
    public var responseBytes: Int?
    public var responseMatches = true
    /// True if the simulation stopped because the time limit passed or no progress was possible.
    public var hung: Bool
    /// Times the receiver moved the transfer to a new address of the sender (validated).
    public var migrations = 0
    public var forwardStatistics: ImpairmentStats
    public var reverseStatistics: ImpairmentStats

    /// The sender succeeded and the receiver holds exactly the bytes sent.
    public var delivered: Bool {
        senderState == .finished && receiverState == .completed && deliveredBytesMatch && !hung
    }

    /// Goodput in Mbit/s of virtual time, from the first SYN to the sender's end.
    public func goodputMbps(size: Int) -> Double {
        guard let end = senderEndTime, end > 0 else { return 0 }
        return Double(size) * 8 / (Double(end) / 1e9) / 1e6
    }
}
