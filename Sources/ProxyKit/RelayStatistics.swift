import CLIKit
import Impairment
import SystemKit

/// What happened to one direction's datagrams in the relay: the impairment engine's counters
/// plus the relay's own losses, by cause.
///
/// Invariant: `in + duplicated == out + dropped + held`, where `in` counts every datagram the
/// relay read, including those it refused before the engine saw them.
public struct RelayDirectionStatistics: Sendable, Equatable {
    /// The impairment pipeline's counters.
    public var impairment = ImpairmentStats()
    /// Datagrams the relay handed to the kernel successfully.
    public var sent = 0
    /// Datagrams released by the pipeline but refused by the kernel (the sum of the four
    /// `sendFailed…` causes on the relay; the link counts only the total).
    public var sendFailed = 0
    /// … of which for a full socket buffer.
    public var sendFailedBufferFull = 0
    /// … of which because the peer reported its port unreachable.
    public var sendFailedRefused = 0
    /// … of which as too large (EMSGSIZE).
    public var sendFailedTooLarge = 0
    /// … of which with another error.
    public var sendFailedError = 0
    /// Datagrams released for a client that had expired meanwhile.
    public var clientExpired = 0
    /// Replies released for a server port whose relay-side socket is gone or could not be opened.
    public var noReplySocket = 0
    /// Refused on arrival: from an address that is no client (on a reply port, before it
    /// spoke to the listening port).
    public var unknownClient = 0
    /// Refused on arrival: from a host other than the server's, on an upstream socket.
    public var wrongSource = 0
    /// Refused on arrival: from the server's host but another port, with `--strict-reply`.
    public var strictReply = 0
    /// Refused on arrival: a new client for whom no upstream socket could be opened.
    public var noUpstreamSocket = 0
    /// Replies from a server port other than `--to`'s (followed, as a NAT would).
    public var fromOtherPort = 0
    /// ICMP error reports (port unreachable…) about datagrams sent this way.
    public var unreachableReports = 0

    /// A zeroed set of counters.
    public init() {}

    /// Datagrams the relay refused before the impairment engine saw them.
    public var refusedOnArrival: Int { unknownClient + wrongSource + strictReply + noUpstreamSocket }
    /// Datagrams received ("in"), those refused on arrival included.
    public var received: Int { impairment.received + refusedOnArrival }
    /// Datagrams dropped for any reason, the relay's own included.
    public var dropped: Int { impairment.dropped + sendFailed + clientExpired + noReplySocket + refusedOnArrival }

    /// Adds what a batch of sends achieved.
    mutating func add(_ outcome: SendBatch.Outcome) {
        sent += outcome.sent
        sendFailed += outcome.failed
        sendFailedBufferFull += outcome.bufferFull
        sendFailedRefused += outcome.refused
        sendFailedTooLarge += outcome.tooLarge
        sendFailedError += outcome.otherError
    }

    /// The relay's own drop causes, named as in JSON (`dropped_by`) and in the human line.
    var relayCauses: [(json: String, human: String, count: Int)] {
        [
            ("send_failed", "send failed", sendFailed),
            ("client_expired", "client expired", clientExpired),
            ("no_reply_socket", "no reply socket", noReplySocket),
            ("unknown_client", "unknown client", unknownClient),
            ("wrong_source", "wrong source", wrongSource),
            ("strict_reply", "strict reply", strictReply),
            ("no_upstream_socket", "no upstream socket", noUpstreamSocket),
        ]
    }

    /// The direction as a JSON object: `{"in":…,"out":…,"dropped":…,"dropped_by":{…},…}`.
    public var json: JSONValue {
        let stats = impairment
        return .object([
            ("in", .integer(received)),
            ("out", .integer(sent)),
            ("dropped", .integer(dropped)),
            ("dropped_by", .object([
                ("scripted", .integer(stats.droppedScripted)),
                ("loss", .integer(stats.droppedLoss)),
                ("burst_loss", .integer(stats.droppedBurstLoss)),
                ("queue", .integer(stats.droppedQueue)),
                ("oversize", .integer(stats.droppedOversize)),
                ("hold_limit", .integer(stats.droppedHoldLimit)),
            ] + relayCauses.map { ($0.json, JSONValue.integer($0.count)) })),
            ("send_failed_by", .object([
                ("buffer_full", .integer(sendFailedBufferFull)),
                ("refused", .integer(sendFailedRefused)),
                ("too_large", .integer(sendFailedTooLarge)),
                ("error", .integer(sendFailedError)),
            ])),
            ("duplicated", .integer(stats.duplicated)),
            ("corrupted", .integer(stats.corrupted)),
            ("reordered", .integer(stats.reordered)),
            ("delayed", .integer(stats.delayed)),
            ("queue_drops", .integer(stats.droppedQueue)),
            ("held", .integer(stats.heldNow)),
            ("from_other_port", .integer(fromOtherPort)),
            ("unreachable_reports", .integer(unreachableReports)),
        ])
    }

    /// `in 10234, out 9201, dropped 1023 (loss 1020, queue 3), duplicated 0, corrupted 0,
    /// reordered 512, delayed 9201, queue drops 3` (and `held N` while datagrams are held,
    /// `from other ports N` and `unreachable reports N` when there are any).
    public var humanLine: String {
        let stats = impairment
        var causes: [String] = []
        for (name, count) in [
            ("scripted", stats.droppedScripted), ("loss", stats.droppedLoss), ("burst loss", stats.droppedBurstLoss),
            ("queue", stats.droppedQueue), ("oversize", stats.droppedOversize), ("hold limit", stats.droppedHoldLimit),
        ] + relayCauses.map({ ($0.human, $0.count) }) where count > 0 {
            causes.append("\(name) \(count)")
        }
        var line = "in \(received), out \(sent), dropped \(dropped)"
        if !causes.isEmpty { line += " (" + causes.joined(separator: ", ") + ")" }
        line += ", duplicated \(stats.duplicated), corrupted \(stats.corrupted), reordered \(stats.reordered)"
        line += ", delayed \(stats.delayed), queue drops \(stats.droppedQueue)"
        if stats.heldNow > 0 { line += ", held \(stats.heldNow)" }
        if fromOtherPort > 0 { line += ", from other ports \(fromOtherPort)" }
        if unreachableReports > 0 { line += ", unreachable reports \(unreachableReports)" }
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
    /// Clients moved to a new upstream socket (`--rebind`), each move counted once.
    public var rebinds = 0
    /// Relay-side sockets open now for replies from the server's other ports.
    public var replySockets = 0
    /// Such sockets opened since the start.
    public var replySocketsTotal = 0
    /// The TCP passthrough's counters; nil without `--tcp-passthrough`.
    var tcp: TCPPassthrough.Statistics? = nil
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
            ("rebinds", .integer(rebinds)),
            ("reply_sockets", .integer(replySockets)),
            ("reply_sockets_total", .integer(replySocketsTotal)),
            ("forward", forward.json),
            ("reverse", reverse.json),
        ] + (tcp.map { [("tcp", $0.json)] } ?? []) + ImpairmentChangeRecord.jsonMembers(impairmentChanges))
    }

    /// Two lines, one per direction, prefixed with the time (`total` for the final report).
    public var humanLines: [String] {
        let stamp = ReportTime(elapsed: elapsed, isFinal: isFinal).stamp
        return [
            "lossproxy [\(stamp)] forward: \(forward.humanLine)",
            "lossproxy [\(stamp)] reverse: \(reverse.humanLine)",
        ] + (tcp.map { ["lossproxy [\(stamp)] \($0.humanLine)"] } ?? [])
    }
}
