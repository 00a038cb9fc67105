/// Impairments that change over time: a base configuration per direction, and changes, each
/// taking effect at a time since the start (netem's `tc qdisc change`, scripted). Sans IO: it
/// answers which configurations are due at a time and when the next change comes; the caller
/// applies them (`ImpairedLink.reconfigure(forward:reverse:now:)`).
public struct ImpairmentSchedule: Sendable, Equatable {
    /// One step of the schedule.
    public struct Change: Sendable, Equatable {
        /// When it takes effect, ns since the start.
        public var at: UInt64
        /// The forward direction's configuration from then on.
        public var forward: ImpairmentConfig
        /// The reverse direction's configuration from then on.
        public var reverse: ImpairmentConfig
        /// What the change says, as written (`loss 20% delay 50ms`), for reports.
        public var text: String

        public init(at: UInt64, forward: ImpairmentConfig, reverse: ImpairmentConfig, text: String) {
            self.at = at
            self.forward = forward
            self.reverse = reverse
            self.text = text
        }
    }

    /// The configurations before the first change.
    public var baseForward: ImpairmentConfig
    /// See `baseForward`.
    public var baseReverse: ImpairmentConfig
    /// The changes in time order (a later one at the same time wins).
    public private(set) var changes: [Change]

    /// A schedule starting from the base configurations; `changes` are sorted by time, keeping
    /// the given order among equal times.
    public init(baseForward: ImpairmentConfig, baseReverse: ImpairmentConfig, changes: [Change]) {
        self.baseForward = baseForward
        self.baseReverse = baseReverse
        self.changes = changes.enumerated().sorted { ($0.element.at, $0.offset) < ($1.element.at, $1.offset) }.map(\.element)
    }

    /// How many changes have taken effect by `elapsed` ns since the start.
    public func changesDue(by elapsed: UInt64) -> Int {
        var low = 0, high = changes.count
        while low < high {
            let middle = (low + high) / 2
            if changes[middle].at <= elapsed { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// The configurations in effect at `elapsed` ns since the start.
    public func configurations(at elapsed: UInt64) -> (forward: ImpairmentConfig, reverse: ImpairmentConfig) {
        let due = changesDue(by: elapsed)
        guard due > 0 else { return (baseForward, baseReverse) }
        return (changes[due - 1].forward, changes[due - 1].reverse)
    }

    /// When the first change after `elapsed` takes effect (ns since the start), nil when none is left.
    public func nextChange(after elapsed: UInt64) -> UInt64? {
        let due = changesDue(by: elapsed)
        return due < changes.count ? changes[due].at : nil
    }
}
