/// The "what to observe" notes of a run, each sentence computed from what the run recorded:
/// where the losses were, how each was repaired and at what cost, what the receiver did with
/// packets after a gap, and when the window held the sender back.
enum AnimationObservations {
    /// Notes for `run`; `lossless` is the same transfer without losses, to price them.
    static func notes(for run: AnimationRun, lossless: AnimationRun?) -> [String] {
        var notes: [String] = []
        let data = run.flights.filter { $0.kind == .data }
        let acks = run.flights.filter { $0.kind == .ack }
        let ms = AnimationFormat.milliseconds

        // The sender's window at the start: how many packets left before the first ACK came back.
        if let first = data.first, run.packets > run.window, run.window > 1,
           let slid = run.senderStates.first(where: { $0.base > 0 }),
           let opener = acks.first(where: { ($0.cumulative ?? 0) > 0 && $0.arrived.map { abs($0 - slid.time) < 1e-9 } == true }) {
            let burst = data.filter { $0.sent < slid.time && !$0.retransmission }.count
            if burst == run.window, let waiting = data.first(where: { $0.index == burst && !$0.retransmission }) {
                notes.append("The window lets \(burst) packets go one after the other (0 to \(burst - 1), from "
                    + "\(seconds(first.sent))); then the sender must wait. Packet \(burst) leaves at \(seconds(waiting.sent)), "
                    + "when \(opener.label) arrives and the window slides: \(ms(waiting.sent - first.sent)) after packet 0 left.")
            }
        }

        // Each lost DATA transmission and its repair.
        for lost in data where lost.lost {
            guard let index = lost.index else { continue }
            var sentence = "DATA \(lost.label) was lost on the link at \(seconds(lost.lossTime(oneWayDelay: run.oneWayDelay)))."
            if let repair = run.transmissions(of: index).first(where: { $0.transmission == lost.transmission + 1 }) {
                let timeout = run.marks.first { $0.kind == .timeout && abs($0.time - repair.sent) < 1e-9 }
                let fast = run.marks.first { $0.kind == .fastRetransmit && $0.index == index && $0.time <= repair.sent + 1e-9 }
                if let timeout {
                    // The sender's deadline is the timer's start plus the RTO that expired.
                    let started = timeout.rtoMilliseconds.map { timeout.time - $0 / 1_000 }
                    let together = data.filter { $0.retransmission && abs($0.sent - repair.sent) < 1e-9 && $0.index != index }
                        .compactMap(\.index)
                    sentence += " Nothing tells the sender; its timer"
                        + (started.map { ", running since \(seconds($0)),"} ?? "")
                        + " expires at \(seconds(timeout.time)) (RTO \(ms((timeout.rtoMilliseconds ?? 0) / 1_000))) "
                        + "and packet \(index) leaves again"
                        + (together.isEmpty ? "." : ", with every packet sent after it: "
                            + AnimationFormat.list(together.map(String.init)) + ".")
                } else if fast != nil {
                    sentence += " Three later packets were acknowledged first (SACK), so the sender resends it at "
                        + "\(seconds(repair.sent)) without waiting for its timer: a fast retransmit."
                } else {
                    sentence += " It is sent again at \(seconds(repair.sent))."
                }
            }
            notes.append(sentence)
        }

        // What the receiver did after a gap.
        if let last = run.receiverStates.last, last.recorded {
            let held = run.receiverStates.map(\.buffered.count).max() ?? 0
            if last.discarded > 0 {
                notes.append("Packets that arrive after a gap are thrown away by the Go-Back-N receiver: "
                    + "\(AnimationFormat.count(last.discarded, "packet")) discarded; each arrival is answered with "
                    + "the same cumulative ACK again.")
            }
            if held > 0 {
                notes.append("The Selective Repeat receiver keeps what arrives after a gap: up to "
                    + "\(AnimationFormat.count(held, "packet")) buffered at once, delivered as soon as the hole is filled.")
            }
            if last.duplicates > 0 {
                notes.append("The receiver got \(AnimationFormat.count(last.duplicates, "packet")) it already had "
                    + "(resent needlessly), and acknowledged \(last.duplicates == 1 ? "it" : "them") again.")
            }
        }
        let duplicateAcks = zip(acks, acks.dropFirst()).filter { $0.cumulative == $1.cumulative }.count
        if duplicateAcks > 0 {
            notes.append("\(AnimationFormat.count(duplicateAcks, "duplicate ACK")) (the same cumulative number again): "
                + "the receiver is saying which packet it still waits for.")
        }

        // Lost ACKs.
        for (position, lost) in acks.enumerated() where lost.lost {
            guard let cumulative = lost.cumulative else { continue }
            let later = acks[(position + 1)...].first { !$0.lost && ($0.cumulative ?? 0) >= cumulative }
            var sentence = "\(lost.label) was lost on the way back at \(seconds(lost.lossTime(oneWayDelay: run.oneWayDelay)))."
            let resentBefore = data.filter { $0.retransmission && ($0.index ?? .max) < cumulative
                && $0.sent > lost.sent && $0.sent < (later?.arrived ?? .infinity) }
            if let later, let arrived = later.arrived, resentBefore.isEmpty {
                sentence += " The next one, \(later.label), arrives at \(seconds(arrived)) and covers it: "
                    + "cumulative ACKs repair a lost ACK for free, with no resend."
            } else if let resend = resentBefore.first, let index = resend.index {
                sentence += " Packet \(index) had arrived, but the sender cannot know: it resends it at \(seconds(resend.sent)) "
                    + "and the receiver, which has it already, acknowledges it again."
            }
            notes.append(sentence)
        }

        // The price.
        let resent = data.filter(\.retransmission)
        let needless = resent.filter { flight in
            run.transmissions(of: flight.index ?? -1).contains { $0.transmission < flight.transmission && $0.arrived.map { $0 < flight.sent } == true }
        }
        let timeouts = run.timeouts.count
        var price = "In all the sender sent \(AnimationFormat.count(data.count, "DATA packet")) for \(run.packets): "
            + "\(AnimationFormat.count(resent.count, "retransmission"))"
            + (resent.isEmpty ? "" : " (" + (resent.count == 1 ? "packet " : "packets ")
                + AnimationFormat.list(resent.map { "\($0.index ?? -1)" }) + ")") + ", "
            + "\(AnimationFormat.count(timeouts, "timeout"))"
        if !needless.isEmpty {
            price += ", and \(needless.count) of the resent packets had already arrived"
        }
        price += "."
        if let end = finishTime(run), let lossless, let clean = finishTime(lossless), !resent.isEmpty || acks.contains(where: \.lost) {
            price += " It finished at \(seconds(end)); without the losses it finishes at \(seconds(clean)): "
                + "they cost \(ms(end - clean))."
        } else if let end = finishTime(run) {
            price += " It finished at \(seconds(end))."
        }
        notes.append(price)
        return notes
    }

    /// When the sender learnt that the whole transfer arrived (the FIN-ACK came back).
    static func finishTime(_ run: AnimationRun) -> Double? {
        run.flights.last { $0.kind == .finAck && !$0.lost }?.arrived
            ?? run.senderStates.first { $0.phase == "finished" }?.time
    }

    static func seconds(_ value: Double) -> String { AnimationFormat.trimmed(value) + " s" }
}
