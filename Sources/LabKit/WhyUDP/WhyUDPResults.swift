import Foundation

/// One transport's message stream: when each message was written and how long it took to
/// reach the receiving application.
public struct MessageStreamResult: Sendable {
    public var transport: WhyUDPTransport
    /// When each message was written, in milliseconds after the first.
    public var sentMilliseconds: [Double]
    /// Each message's latency (arrival at the receiving application minus writing) in
    /// milliseconds; nil if it never arrived.
    public var latencyMilliseconds: [Double?]
    /// DATA packets sent again (RUDP), nil where unknown (UDP resends nothing; TCP's are the kernel's).
    public var retransmissions: Int?
    /// Why this transport was not measured, as a sentence naming it (then there are no
    /// messages); numbers are never invented.
    public var notMeasured: String?
    /// What went wrong in a run that was measured but did not end cleanly.
    public var failure: String?
    /// Bytes of earlier messages' copies the sender carried (RUDP with redundancy): the
    /// bandwidth it paid for its latency, beside `messageBytes`.
    public var redundantBytes: Int?

    public init(transport: WhyUDPTransport, sentMilliseconds: [Double], latencyMilliseconds: [Double?],
                retransmissions: Int? = nil, failure: String? = nil) {
        self.transport = transport
        self.sentMilliseconds = sentMilliseconds
        self.latencyMilliseconds = latencyMilliseconds
        self.retransmissions = retransmissions
        self.failure = failure
        delivered = latencyMilliseconds.compactMap { $0 }.sorted()
    }

    /// A transport that could not be measured here, and why.
    public static func notMeasured(_ transport: WhyUDPTransport, _ reason: String) -> MessageStreamResult {
        var result = MessageStreamResult(transport: transport, sentMilliseconds: [], latencyMilliseconds: [])
        result.notMeasured = reason
        return result
    }

    /// Latencies of the delivered messages, ascending.
    public private(set) var delivered: [Double]

    /// Messages written.
    public var messages: Int { latencyMilliseconds.count }

    /// Messages that never reached the receiving application.
    public var lost: Int { messages - delivered.count }

    /// The `fraction` quantile (0...1) of the delivered messages' latency, by nearest rank
    /// (the smallest latency at least that fraction of them did not exceed); nil if none arrived.
    public func percentile(_ fraction: Double) -> Double? {
        guard !delivered.isEmpty else { return nil }
        let rank = Int((fraction * Double(delivered.count)).rounded(.up))
        return delivered[min(max(rank, 1), delivered.count) - 1]
    }

    public var meanLatency: Double? {
        delivered.isEmpty ? nil : delivered.reduce(0, +) / Double(delivered.count)
    }

    public var maximumLatency: Double? { delivered.last }

    /// Delivered messages slower than `threshold` milliseconds.
    public func lateCount(threshold: Double) -> Int {
        delivered.count - delivered.partitionIndex { $0 > threshold }
    }
}

/// One transport's time to first response: each trial's time from the client's first packet to
/// the response reaching its application.
public struct FirstResponseResult: Sendable {
    public var exchange: WhyUDPExchange
    /// Per trial, in milliseconds; nil when no response came (a raw UDP datagram lost).
    public var milliseconds: [Double?]
    public var notMeasured: String?

    public init(exchange: WhyUDPExchange, milliseconds: [Double?]) {
        self.exchange = exchange
        self.milliseconds = milliseconds
    }

    public static func notMeasured(_ exchange: WhyUDPExchange, _ reason: String) -> FirstResponseResult {
        var result = FirstResponseResult(exchange: exchange, milliseconds: [])
        result.notMeasured = reason
        return result
    }

    /// The answered trials' times, ascending.
    public var answered: [Double] { milliseconds.compactMap { $0 }.sorted() }

    /// Trials without a response.
    public var unanswered: Int { milliseconds.count - answered.count }

    /// Nearest-rank quantile of the answered trials.
    public func percentile(_ fraction: Double) -> Double? {
        let sorted = answered
        guard !sorted.isEmpty else { return nil }
        let rank = Int((fraction * Double(sorted.count)).rounded(.up))
        return sorted[min(max(rank, 1), sorted.count) - 1]
    }
}

/// Everything one `why-udp` run measured.
public struct WhyUDPResults: Sendable {
    public var plan: WhyUDPPlan
    public var streams: [MessageStreamResult]
    public var exchanges: [FirstResponseResult]
    /// The migration row (a file transfer while the path rebinds), per transport; empty when not run.
    public var migration: [MigrationResult] = []
    public var started: Date
    public var finished: Date

    public init(plan: WhyUDPPlan, streams: [MessageStreamResult], exchanges: [FirstResponseResult], started: Date,
                finished: Date) {
        self.plan = plan
        self.streams = streams
        self.exchanges = exchanges
        self.started = started
        self.finished = finished
    }

    public func stream(_ transport: WhyUDPTransport) -> MessageStreamResult? {
        streams.first { $0.transport == transport }
    }

    public func exchange(_ exchange: WhyUDPExchange) -> FirstResponseResult? {
        exchanges.first { $0.exchange == exchange }
    }
}

extension Array where Element == Double {
    /// The first index whose element satisfies `predicate`, for an array sorted so that all
    /// elements failing it come first.
    func partitionIndex(where predicate: (Double) -> Bool) -> Int {
        var low = 0
        var high = count
        while low < high {
            let middle = (low + high) / 2
            if predicate(self[middle]) { high = middle } else { low = middle + 1 }
        }
        return low
    }
}
