import CLIKit
import Impairment

/// What happened to one direction's datagrams in the relay: the impairment engine's counters
/// plus the relay's own losses (a send the kernel refused, a client gone before delivery).
///
/// Invariant: `in + duplicated == out + dropped + held`.
public struct RelayDirectionStatistics: Sendable, Equatable {
    /// The impairment pipeline's counters.
    public var impairment = ImpairmentStats()
    /// Datagrams the relay handed to the kernel successfully.
    public var sent = 0
    /// Datagrams released by the pipeline but not sent: socket buffer full, the peer's ICMP
    /// error, or no upstream socket could be opened for a new client.
    public var sendFailed = 0
    /// Datagrams released for a client that had expired meanwhile.
    public var clientExpired = 0

    /// A zeroed set of counters.
    public init() {}

    /// Datagrams received ("in").
    public var received: Int { impairment.received }
    /// Datagrams dropped for any reason, the relay's own included.
    public var dropped: Int { impairment.dropped + sendFailed + clientExpired }

    /// The direction as a JSON object: `{"in":…,"out":…,"dropped":…,"dropped_by":{…},…}`.
    public var json: JSONValue {
        let stats = impairment
        return .object([
            ("in", .integer(stats.received)),
            ("out", .integer(sent)),
            ("dropped", .integer(dropped)),
            ("dropped_by", .object([
                ("scripted", .integer(stats.droppedScripted)),
                ("loss", .integer(stats.droppedLoss)),
                ("burst_loss", .integer(stats.droppedBurstLoss)),
                ("queue", .integer(stats.droppedQueue)),
                ("oversize", .integer(stats.droppedOversize)),
                ("hold_limit", .integer(stats.droppedHoldLimit)),
                ("send_failed", .integer(sendFailed)),
                ("client_expired", .integer(clientExpired)),
            ])),
            ("duplicated", .integer(stats.duplicated)),
            ("corrupted", .integer(stats.corrupted)),
            ("reordered", .integer(stats.reordered)),
            ("delayed", .integer(stats.delayed)),
            ("queue_drops", .integer(stats.droppedQueue)),
            ("held", .integer(stats.heldNow)),
        ])
    }

    /// `in 10234, out 9201, dropped 1023 (loss 1020, queue 3), duplicated 0, corrupted 0,
    /// reordered 512, delayed 9201, queue drops 3` (and `held N` while datagrams are held).
    public var humanLine: String {
        let stats = impairment
        var causes: [String] = []
        for (name, count) in [
            ("scripted", stats.droppedScripted), ("loss", stats.droppedLoss), ("burst loss", stats.droppedBurstLoss),
            ("queue", stats.droppedQueue), ("oversize", stats.droppedOversize), ("hold limit", stats.droppedHoldLimit),
            ("send failed", sendFailed),
            ("client expired", clientExpired),
        ] where count > 0 {
            causes.append("\(name) \(count)")
        }
        var line = "in \(stats.received), out \(sent), dropped \(dropped)"
        if !causes.isEmpty { line += " (" + causes.joined(separator: ", ") + ")" }
        line += ", duplicated \(stats.duplicated), corrupted \(stats.corrupted), reordered \(stats.reordered)"
        line += ", delayed \(stats.delayed), queue drops \(stats.droppedQueue)"
        if stats.heldNow > 0 { line += ", held \(stats.heldNow)" }
        return line
    }
}

/// One statistics report of the relay: both directions, cumulative since it started.
public struct RelayStatistics: Sendable, Equatable {
    /// Nanoseconds since the relay started.
    public var elapsed: UInt64 = 0
    /// Whether this is the report made when the relay stopped.
    public var isFinal = false
    /// Clients with an upstream socket now.
    public var activeClients = 0
    /// Clients seen since the start.
    public var totalClients = 0
    /// Clients whose upstream socket was taken for a new client when descriptors ran out.
    public var evictedClients = 0
    /// Client → server.
    public var forward = RelayDirectionStatistics()
    /// Server → client.
    public var reverse = RelayDirectionStatistics()
    /// With `--schedule`: every change of impairments so far, with its time; nil without.
    public var impairmentChanges: [ImpairmentChangeRecord]? = nil

    /// A zeroed report.
    public init() {}

    /// One JSON object: `{"seconds":…,"final":…,"clients":…,"clients_total":…,"forward":{…},"reverse":{…}}`.
    public var json: JSONValue {
        .object(ReportTime(elapsed: elapsed, isFinal: isFinal).jsonMembers + [
            ("clients", .integer(activeClients)),
            ("clients_total", .integer(totalClients)),
            ("clients_evicted", .integer(evictedClients)),
            ("forward", forward.json),
            ("reverse", reverse.json),
        ] + ImpairmentChangeRecord.jsonMembers(impairmentChanges))
    }

    /// Two lines, one per direction, prefixed with the time (`total` for the final report).
    public var humanLines: [String] {
        let stamp = ReportTime(elapsed: elapsed, isFinal: isFinal).stamp
        return [
            "lossproxy [\(stamp)] forward: \(forward.humanLine)",
            "lossproxy [\(stamp)] reverse: \(reverse.humanLine)",
        ]
    }
}
