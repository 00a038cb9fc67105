import CLIKit
#if canImport(Glibc)
import Glibc
#endif
import Impairment
import ImpairmentCLI

/// One change of impairments while relaying, as the statistics record it.
public struct ImpairmentChangeRecord: Sendable, Equatable {
    /// When the schedule asked for it, ns since the start (for a reload: when it happened).
    public var scheduledAt: UInt64
    /// When it was applied, ns since the start.
    public var appliedAt: UInt64
    /// The schedule line's impairments (`loss 20% delay 50ms`), or what a reload did.
    public var text: String
    /// `schedule` for a line coming due, `reload` for the configurations due after SIGHUP.
    public var cause: String

    /// `"impairment_changes":[…]` for a report's JSON object; nothing without a schedule.
    static func jsonMembers(_ records: [ImpairmentChangeRecord]?) -> [(key: String, value: JSONValue)] {
        records.map { [("impairment_changes", JSONValue.array($0.map(\.json)))] } ?? []
    }

    /// `{"at_s":1.0,"applied_s":1.0002,"change":"loss 100%","cause":"schedule"}`.
    public var json: JSONValue {
        .object([
            ("at_s", .double(Double(scheduledAt) / 1e9)), ("applied_s", .double(Double(appliedAt) / 1e9)),
            ("change", .string(text)), ("cause", .string(cause)),
        ])
    }
}

/// Drives an `ImpairedLink` through an `ImpairmentSchedule` for the relay and the TUN link:
/// applies each change when its time comes, tells the event loop when to wake for the next one,
/// rereads the schedule file when asked (SIGHUP), and records every change with its time.
/// Used from the relaying thread only.
public final class ScheduledImpairments: @unchecked Sendable {
    /// Every change applied so far, in order.
    public private(set) var records: [ImpairmentChangeRecord] = []
    /// Told one line for each change (the command's log); silent by default.
    public var log: (String) -> Void = { _ in }
    /// Answers, when the stop descriptor wakes the loop, whether it was a reload request
    /// (lossproxy: the pending signal is SIGHUP) and consumes it; nil never reloads that way.
    public var takeReloadRequest: (() -> Bool)?

    private var schedule: ImpairmentSchedule
    private let reread: (() throws -> ImpairmentSchedule)?
    /// Changes of `schedule` applied so far.
    private var applied = 0

    /// Follows `schedule`; `reread` gives the schedule anew for `reload` (nil: reload keeps it).
    public init(_ schedule: ImpairmentSchedule, reread: (() throws -> ImpairmentSchedule)? = nil) {
        self.schedule = schedule
        self.reread = reread
    }

    /// Follows the schedule in `file`, rereading it on reload.
    public convenience init(file: ImpairmentScheduleFile) {
        self.init(file.initial, reread: { try file.load() })
    }

    /// Applies the changes due by `now` (relaying started at `start`) to `link`: the latest one
    /// due takes effect; each is recorded.
    public func applyDue(to link: ImpairedLink, now: UInt64, start: UInt64) {
        let elapsed = now &- start
        let due = schedule.changesDue(by: elapsed)
        guard due > applied else { return }
        for change in schedule.changes[applied..<due] {
            record(ImpairmentChangeRecord(scheduledAt: change.at, appliedAt: elapsed, text: change.text, cause: "schedule"))
        }
        applied = due
        let (forward, reverse) = schedule.configurations(at: elapsed)
        link.reconfigure(forward: forward, reverse: reverse, now: now)
    }

    /// `deadline` or the next change's time, whichever is earlier (absolute ns).
    public func earliest(_ deadline: UInt64?, start: UInt64, now: UInt64) -> UInt64? {
        guard let next = schedule.nextChange(after: now &- start) else { return deadline }
        return min(deadline ?? .max, start + next)
    }

    /// When the stop descriptor woke the loop: true if that was a reload request, now handled
    /// (the loop goes on); false if the loop should stop.
    public func handleWakeUp(link: ImpairedLink, now: UInt64, start: UInt64) -> Bool {
        guard takeReloadRequest?() == true else { return false }
        reload(link: link, now: now, start: start)
        return true
    }

    /// Rereads the schedule and applies the configurations it gives for this moment; its later
    /// changes follow at their times. A file that no longer parses is reported and ignored.
    public func reload(link: ImpairedLink, now: UInt64, start: UInt64) {
        let elapsed = now &- start
        if let reread {
            do {
                schedule = try reread()
            } catch {
                log("schedule not reloaded, keeping the previous one: \((error as? UsageError)?.message ?? "\(error)")")
                return
            }
        }
        applied = schedule.changesDue(by: elapsed)
        let (forward, reverse) = schedule.configurations(at: elapsed)
        let text = applied > 0 ? schedule.changes[applied - 1].text : "the command line's impairments"
        record(ImpairmentChangeRecord(scheduledAt: elapsed, appliedAt: elapsed, text: text, cause: "reload"))
        link.reconfigure(forward: forward, reverse: reverse, now: now)
    }

    /// The records as a JSON array, for the statistics.
    public var json: JSONValue { .array(records.map(\.json)) }

    private func record(_ change: ImpairmentChangeRecord) {
        records.append(change)
        let time = HumanFormat.fixed(Double(change.appliedAt) / 1e9, decimals: 3)
        log("impairments at \(time) s (\(change.cause)): \(change.text)")
    }
}

extension ProxyInvocation {
    /// The `--schedule` to follow, reloaded on SIGHUP through `signals` (which must handle it),
    /// logging each change; nil without the flag.
    func followedSchedule(signals: SignalNotifier, program: String) -> ScheduledImpairments? {
        guard let file = scheduleFile else { return nil }
        let scheduled = ScheduledImpairments(file: file)
        scheduled.log = { line in self.log(line, program: program) }
        // The last signal stays pending: a wake-up with SIGHUP pending is a (further) SIGHUP,
        // while SIGINT or SIGTERM replaces it and stops the proxy as before.
        scheduled.takeReloadRequest = {
            guard signals.pendingSignal == SIGHUP else { return false }
            signals.drain()
            return true
        }
        return scheduled
    }
}
