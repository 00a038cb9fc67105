import Impairment
import RUDP

/// How the messages of a why-udp run cross the link.
public enum MessageTransport: String, Sendable, CaseIterable {
    /// Raw datagrams: each message once, a lost one is gone.
    case udp
    /// RUDP Selective Repeat handing messages over in order (a lost one holds back the rest).
    case rudpOrdered = "rudp-ordered"
    /// RUDP Selective Repeat handing each message over as it arrives.
    case rudpUnordered = "rudp-unordered"
    /// As `rudpUnordered`, each packet also carrying the one before while it is unacknowledged
    /// (redundancy 1, RFC 2198 style): a single loss costs no round trip.
    case rudpRedundant = "rudp-redundant"
}

/// A stream of small timestamped messages written at a steady rate, as a game or telemetry
/// sender would, over an impaired link on a virtual clock.
public struct MessageScenario: Sendable {
    public var transport: MessageTransport
    /// Bytes per message (at least `MessageStamp.minimumSize`).
    public var messageSize = 100
    /// Messages the application writes.
    public var count = 1_000
    /// Time between two messages written by the application, in nanoseconds.
    public var interval: UInt64 = 20_000_000
    /// RUDP window in packets.
    public var window = 64
    public var retransmission: RetransmissionTimer.Policy = .adaptive
    /// Sender → receiver impairments.
    public var forward = ImpairmentConfig()
    /// Receiver → sender impairments.
    public var reverse = ImpairmentConfig()
    public var seed: UInt64
    /// How long after the last message was written the run may go on delivering, at most.
    public var drainLimit: UInt64 = 120_000_000_000
    /// Copies of earlier unacknowledged messages each packet carries where they fit; nil: the
    /// transport's (1 for `rudpRedundant`, else 0).
    public var redundancy: Int?
    /// The sender's congestion controller.
    public var congestionControl: CongestionAlgorithm = .none
    /// Retransmissions of one packet before the sender gives up.
    public var maxRetries = MessageSenderDefaults.maxRetries

    public init(transport: MessageTransport, seed: UInt64) {
        self.transport = transport
        self.seed = seed
    }

    /// The same impairments in both directions.
    public mutating func impairBoth(_ config: ImpairmentConfig) {
        forward = config
        reverse = config
    }
}

/// What happened to every message of a run.
public struct MessageOutcome: Sendable {
    public var transport: MessageTransport
    /// When the application wrote each message (virtual nanoseconds).
    public var sendTimes: [UInt64]
    /// When each message reached the receiving application; nil if it never did.
    public var arrivalTimes: [UInt64?]
    /// DATA packets sent again (0 for raw UDP).
    public var retransmissions: Int
    /// Bytes of earlier packets' copies the sender carried (redundancy's bandwidth cost), and
    /// the message bytes written: their ratio is the overhead.
    public var redundantBytes: UInt64 = 0
    public var messageBytes: UInt64 = 0
    /// Why an RUDP run did not end cleanly (sender failed, receiver rejected, time ran out); nil if it did.
    public var failure: String?
    /// Whether the sender finished: the receiver confirmed every message.
    public var senderFinished = false
    /// Whether the receiving application was handed a message twice, damaged, or a set of
    /// messages that did not add up to what was sent: never acceptable, whatever the loss.
    public var integrityViolated = false
    /// Whether the run stopped for want of progress or time, not because an end was reached.
    public var hung = false

    /// Latency of each message in nanoseconds (arrival at the application minus writing); nil if lost.
    public var latencies: [UInt64?] {
        zip(sendTimes, arrivalTimes).map { sent, arrived in arrived.map { $0 - sent } }
    }

    /// Messages that never reached the receiving application.
    public var lost: Int { arrivalTimes.reduce(0) { $0 + ($1 == nil ? 1 : 0) } }
}
