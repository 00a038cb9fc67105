/// Follows a receiver through its own events (packets received, ACKs sent) to know what it
/// delivered, holds and threw away: what the animation draws in its buffer row. Each ACK it
/// sends sets the cumulative point to the state machine's own value.
struct ReceiverFollower {
    /// Whether it keeps packets after a gap (Selective Repeat) or throws them away.
    let keepsOutOfOrder: Bool
    private(set) var state: ReceiverSnapshot

    init(keepsOutOfOrder: Bool, recorded: Bool = true) {
        self.keepsOutOfOrder = keepsOutOfOrder
        state = ReceiverSnapshot(time: 0, expected: 0)
        state.recorded = recorded
    }

    mutating func received(_ index: Int, duplicate: Bool, at time: Double) {
        state.time = time
        if duplicate {
            state.duplicates += 1
        } else if index == state.expected {
            state.expected += 1
            while let first = state.buffered.first, first == state.expected {
                state.buffered.removeFirst()
                state.expected += 1
            }
        } else if index > state.expected {
            if keepsOutOfOrder {
                state.buffered.append(index)
                state.buffered.sort()
            } else {
                state.discarded += 1
            }
        }
    }

    mutating func acknowledged(cumulative: Int, at time: Double) {
        state.time = time
        state.acksSent += 1
        state.expected = cumulative
        state.buffered.removeAll { $0 < cumulative }
    }

    /// Appends the current state to `states` unless nothing changed (one snapshot per instant).
    func record(into states: inout [ReceiverSnapshot]) {
        if let last = states.last, last.sameState(as: state) { return }
        if states.last?.time == state.time { states.removeLast() }
        states.append(state)
    }
}
