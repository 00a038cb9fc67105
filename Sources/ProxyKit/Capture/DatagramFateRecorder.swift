import Impairment

/// Turns one direction's `ImpairmentObserver` events into the comments of its captured
/// packets: what the engine did to each datagram on arrival ("in") and on release ("out").
///
/// The comment words are fixed, so a capture can be counted against the proxy's statistics:
/// `dropped by <cause>` (loss, burst, queue, hold limit, scripted drop, oversize),
/// `corrupted bit K`, `duplicated`, `delayed N ms`, and on release `duplicate copy`, `reordered`.
final class DatagramFateRecorder: ImpairmentObserver {
    /// "forward" or "reverse": the first word of every comment.
    let direction: String

    /// What the submission being recorded has met so far.
    private var index = 0
    private var drop: ImpairmentDropCause?
    private var copyDrop: ImpairmentDropCause?
    private var corruptedBit: Int?
    private var duplicated = false
    private var delay: UInt64?
    private var copyDelay: UInt64?

    /// What a released copy needs from its submission: when it arrived, which bit was flipped,
    /// how many copies are still held. Entries of copies still held at exit stay, harmlessly.
    private var held: [Int: (arrival: UInt64, corruptedBit: Int?, copies: Int)] = [:]
    /// The comment of the copy being released, read by the capture before the next release.
    private(set) var releaseComment = ""

    init(direction: String) {
        self.direction = direction
    }

    func dropped(index: Int, isDuplicate: Bool, cause: ImpairmentDropCause) {
        self.index = index
        if isDuplicate { copyDrop = cause } else { drop = cause }
    }

    func corrupted(index: Int, bit: Int) {
        self.index = index
        corruptedBit = bit
    }

    func duplicated(index: Int) {
        self.index = index
        duplicated = true
    }

    func scheduled(index: Int, isDuplicate: Bool, arrival: UInt64, due: UInt64) {
        self.index = index
        if isDuplicate { copyDelay = due - arrival } else { delay = due - arrival }
        let entry = held[index]
        held[index] = (arrival, corruptedBit, (entry?.copies ?? 0) + 1)
    }

    func released(index: Int, isDuplicate: Bool, due: UInt64, reordered: Bool) {
        var parts: [String] = []
        if let entry = held[index] {
            if due > entry.arrival { parts.append("delayed \(Self.milliseconds(due - entry.arrival))") }
            if let bit = entry.corruptedBit { parts.append("corrupted bit \(bit)") }
            held[index] = entry.copies > 1 ? (entry.arrival, entry.corruptedBit, entry.copies - 1) : nil
        }
        if isDuplicate { parts.append("duplicate copy") }
        if reordered { parts.append("reordered") }
        releaseComment = "\(direction) #\(index) out: " + (parts.isEmpty ? "unchanged" : parts.joined(separator: ", "))
    }

    /// The comment of the datagram just submitted, e.g. `forward #12 in: dropped by loss` or
    /// `forward #13 in: corrupted bit 93, duplicated, delayed 50.0 ms (copy: delayed 51.2 ms)`;
    /// then forgets it, ready for the next submission.
    func takeArrivalComment() -> String {
        defer {
            drop = nil; copyDrop = nil; corruptedBit = nil; duplicated = false; delay = nil; copyDelay = nil
        }
        var parts: [String] = []
        if let corruptedBit { parts.append("corrupted bit \(corruptedBit)") }
        if duplicated { parts.append("duplicated") }
        parts.append(Self.fate(delay: delay, drop: drop))
        if duplicated { parts[parts.count - 1] += " (copy: \(Self.fate(delay: copyDelay, drop: copyDrop)))" }
        return "\(direction) #\(index) in: " + parts.joined(separator: ", ")
    }

    private static func fate(delay: UInt64?, drop: ImpairmentDropCause?) -> String {
        if let drop { return "dropped by \(drop.rawValue)" }
        guard let delay else { return "held" }
        return delay > 0 ? "delayed \(milliseconds(delay))" : "passed at once"
    }

    /// `50.0 ms`, to a tenth of a millisecond.
    private static func milliseconds(_ nanoseconds: UInt64) -> String {
        let tenths = (nanoseconds + 50_000) / 100_000
        return "\(tenths / 10).\(tenths % 10) ms"
    }
}
