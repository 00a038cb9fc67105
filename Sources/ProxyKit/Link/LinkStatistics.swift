import CLIKit
import Impairment

/// One statistics report of the TUN link: both directions, cumulative since it started. The
/// per-direction counters are the relay's (`RelayDirectionStatistics`): `sent` counts packets
/// written to the far side's TUN device, `sendFailed` those the kernel refused there.
public struct LinkStatistics: Sendable, Equatable {
    /// Nanoseconds since the link started relaying.
    public var elapsed: UInt64 = 0
    /// Whether this is the report made when the link stopped.
    public var isFinal = false
    /// A → B.
    public var forward = RelayDirectionStatistics()
    /// B → A.
    public var reverse = RelayDirectionStatistics()
    /// With `--schedule`: every change of impairments so far, with its time; nil without.
    public var impairmentChanges: [ImpairmentChangeRecord]? = nil
    /// With `--rebind`: times A's ports moved, and B's packets dropped for a mapping gone; nil without.
    public var rebinds: Int? = nil
    public var droppedForOldMappings: Int? = nil

    /// A zeroed report.
    public init() {}

    /// One JSON object, the relay's without its client counts:
    /// `{"seconds":…,"final":…,"forward":{"in":…,"out":…,"dropped":…,…},"reverse":{…}}`.
    public var json: JSONValue {
        .object(ReportTime(elapsed: elapsed, isFinal: isFinal).jsonMembers + [
            ("forward", Self.linkJSON(forward)),
            ("reverse", Self.linkJSON(reverse)),
        ] + ImpairmentChangeRecord.jsonMembers(impairmentChanges)
            + (rebinds.map { [("rebinds", .integer($0)), ("dropped_old_mapping", .integer(droppedForOldMappings ?? 0))] } ?? []))
    }

    /// Two lines, one per direction, named after the namespaces:
    /// `lossproxy link [2.0 s] forward a → b: in 120, out 117, dropped 3 (loss 3), …`.
    public func humanLines(program: String, namespaceA: String, namespaceB: String) -> [String] {
        let stamp = ReportTime(elapsed: elapsed, isFinal: isFinal).stamp
        return [
            "\(program) [\(stamp)] forward \(namespaceA) → \(namespaceB): \(forward.humanLine)",
            "\(program) [\(stamp)] reverse \(namespaceB) → \(namespaceA): \(reverse.humanLine)",
        ]
    }

    /// The relay's direction object minus what only the UDP relay has (its clients, reply
    /// ports and upstream sockets, and the send failures' causes it tells apart).
    private static func linkJSON(_ direction: RelayDirectionStatistics) -> JSONValue {
        guard case .object(let members) = direction.json else { return direction.json }
        let relayOnly: Set = ["client_expired", "no_reply_socket", "unknown_client", "wrong_source", "strict_reply",
                              "no_upstream_socket"]
        let relayOnlyMembers: Set = ["send_failed_by", "from_other_port", "unreachable_reports"]
        return .object(members.compactMap { member in
            if relayOnlyMembers.contains(member.key) { return nil }
            guard member.key == "dropped_by", case .object(let causes) = member.value else { return member }
            return (member.key, .object(causes.filter { !relayOnly.contains($0.key) }))
        })
    }
}
