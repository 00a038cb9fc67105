import RUDP

/// A textbook exercise, ready to animate: the scenario (or two, side by side) and the
/// question a student answers while watching. The notes the page adds are computed from the run.
public struct AnimationExercise: Sendable {
    /// The word after `--exercise`.
    public let name: String
    /// One line for `--help`.
    public let summary: String
    /// What the student is asked.
    public let question: String
    /// One run, or several drawn side by side on one time cursor.
    public let scenarios: [AnimationScenario]

    /// Every exercise, in the order of the help.
    public static let all: [AnimationExercise] = [killFirstPacket, killFirstAck, windowFiveSixPackets, goBackNAgainstSelectiveRepeat]

    public static func named(_ name: String) -> AnimationExercise? { all.first { $0.name == name } }

    static let killFirstPacket: AnimationExercise = {
        var scenario = AnimationScenario(mode: .goBackN, window: 4, packets: 6)
        scenario.dataLosses = [.init(index: 0)]
        return AnimationExercise(
            name: "kill-first-packet", summary: "Go-Back-N, window 4: the link loses DATA 0",
            question: "The very first data packet is lost. What does the receiver do with packets 1 to 3, what do its ACKs say, "
                + "and when and what does the sender send again?",
            scenarios: [scenario])
    }()

    static let killFirstAck: AnimationExercise = {
        var scenario = AnimationScenario(mode: .goBackN, window: 4, packets: 6)
        scenario.ackLosses = [0]
        return AnimationExercise(
            name: "kill-first-ack", summary: "Go-Back-N, window 4: the link loses the first ACK",
            question: "The ACK of packet 0 is lost on its way back. Does the sender have to resend anything? "
                + "(Try the same with --protocol sw: what changes without a window?)",
            scenarios: [scenario])
    }()

    static let windowFiveSixPackets = AnimationExercise(
        name: "window-5-six-packets", summary: "Go-Back-N, window 5, six packets, no loss",
        question: "Send six packets with a window of five: which packets leave at once, and when may the sixth go?",
        scenarios: [AnimationScenario(mode: .goBackN, window: 5, packets: 6)])

    static let goBackNAgainstSelectiveRepeat: AnimationExercise = {
        var gbn = AnimationScenario(mode: .goBackN, window: 4, packets: 8)
        gbn.dataLosses = [.init(index: 2)]
        var sr = gbn
        sr.mode = .selectiveRepeat
        return AnimationExercise(
            name: "gbn-vs-sr", summary: "Go-Back-N beside Selective Repeat, window 4, eight packets, DATA 2 lost in both",
            question: "The same packet is lost under both protocols. Which packets does each sender send again, "
                + "what does each receiver do with the packets after the hole, and which one finishes first?",
            scenarios: [gbn, sr])
    }()
}
