/// An animation of a real transfer from its `--trace` file. A trace is written at one end, so
/// the other end's times are estimated from the one-way delay (half the smoothed RTT the
/// sender traced, or the delay given): those flights are drawn dashed and the page says so.
/// A sender's trace shows what it sent, the ACKs it got, its timeouts and window; a packet is
/// presumed lost when the sender timed out on it or resent it early. A receiver's trace shows
/// what arrived and the ACKs it sent.
public enum TraceAnimation {
    public static func run(_ file: TraceFile, path: String, connection: UInt32?, assumedDelay: Double?,
                           maxDataSendings: Int, command: String) throws -> AnimationRun {
        let connections = file.connections
        if let connection, !connections.contains(connection) {
            throw TraceError("\(path): no connection \(connection); "
                + (connections.isEmpty ? "it has none (a sender's trace)" : "it has " + connections.map(String.init).joined(separator: ", ")))
        }
        let chosen = connection ?? connections.first
        var events = file.events(connection: chosen)
        let start = file.start(connection: chosen)
        let isReceiver = start?.fields["role"]?.stringValue == "receiver" || chosen != nil
        // Cut after the last DATA event that fits.
        var sendings = 0
        var cut = false
        if let position = events.firstIndex(where: { event in
            if event.kind == .send || event.kind == .retransmit || event.kind == .receive { sendings += 1 }
            return sendings > maxDataSendings
        }) {
            events = Array(events[..<position])
            cut = true
        }
        let protocolName = start?.fields["protocol"]?.stringValue ?? "?"
        let window = start?.fields["window"]?.intValue ?? 0
        let mss = start?.fields["mss"]?.intValue ?? 0
        let size = start?.fields["size"]?.intValue
        let highest = events.compactMap(\.index).max().map { $0 + 1 } ?? 0
        let packets = max(highest, size.flatMap { mss > 0 ? ($0 + mss - 1) / mss : nil } ?? 0)

        let (delay, delaySource) = oneWayDelay(events, assumed: assumedDelay, isReceiver: isReceiver)
        let name = path.split(separator: "/").last.map(String.init) ?? path
        var run = AnimationRun(
            title: "Trace \(name): \(protocolName), window \(window), \(isReceiver ? "as the receiver saw it" : "as the sender saw it")",
            source: isReceiver ? .receiverTrace : .senderTrace, protocolName: protocolName, window: max(window, 1),
            packets: packets, congestionControl: nil, oneWayDelay: delay, command: command)
        run.caveats.append("Traced at the \(isReceiver ? "receiver" : "sender"): the times at the "
            + "\(isReceiver ? "sender" : "receiver") are estimated with a one-way delay of "
            + "\(AnimationFormat.milliseconds(delay)) (\(delaySource)), drawn dashed.")
        if cut { run.caveats.append("Only the first \(maxDataSendings) DATA events are drawn (--max-packets).") }
        if isReceiver { receiverSide(events, into: &run, delay: delay) } else { senderSide(events, into: &run, delay: delay) }
        if run.senderStates.contains(where: { $0.congestionWindow != nil }) {
            run.congestionControl = start?.fields["cc"]?.stringValue ?? "traced"
        }
        run.notes = notes(run)
        return run
    }

    /// The one-way delay to draw with, and where it came from.
    static func oneWayDelay(_ events: [TraceEvent], assumed: Double?, isReceiver: Bool) -> (Double, String) {
        if let assumed { return (assumed, "given with --delay") }
        if let srtt = events.lazy.compactMap({ $0.kind == .rto ? $0.fields["srtt_ms"]?.doubleValue : nil }).first, srtt > 0 {
            return (srtt / 2_000, "half the first smoothed RTT the sender traced")
        }
        if !isReceiver, let first = events.first(where: { $0.kind == .send }), first.time > 0 {
            return (first.time / 2, "half the handshake, the time to the first DATA")
        }
        return (0.010, "assumed; give the real one with --delay")
    }

    static func senderSide(_ events: [TraceEvent], into run: inout AnimationRun, delay: Double) {
        var counts: [Int: Int] = [:]
        var lastFlight: [Int: Int] = [:]
        var snapshot = SenderSnapshot(time: 0, phase: "transferring", base: 0, next: 0)
        var receiver = ReceiverFollower(keepsOutOfOrder: run.protocolName == "sr", recorded: false)
        for event in events {
            switch event.kind {
            case .send, .retransmit:
                guard let index = event.index else { continue }
                counts[index, default: 0] += 1
                var flight = AnimationFlight(kind: .data, towardReceiver: true, sent: event.time)
                flight.index = index
                flight.transmission = counts[index]!
                flight.arrived = event.time + delay
                flight.estimated = true
                run.flights.append(flight)
                lastFlight[index] = run.flights.count - 1
                snapshot.next = max(snapshot.next, index + 1)
                if event.kind == .retransmit { snapshot.retransmissions += 1 }
            case .ack, .sack:
                guard let cumulative = event.cumulative else { continue }
                var flight = AnimationFlight(kind: .ack, towardReceiver: false, sent: max(0, event.time - delay))
                flight.cumulative = cumulative
                flight.arrived = event.time
                flight.estimated = true
                run.flights.append(flight)
                snapshot.base = max(snapshot.base, cumulative)
                receiver.acknowledged(cumulative: cumulative, at: flight.sent)
                receiver.record(into: &run.receiverStates)
            case .timeout, .fastRetransmit:
                guard let index = event.index else { continue }
                let kind: AnimationMark.Kind = event.kind == .timeout ? .timeout : .fastRetransmit
                run.marks.append(AnimationMark(kind: kind, time: event.time, index: index, rtoMilliseconds: event.rtoMilliseconds))
                if kind == .timeout { snapshot.timeouts += 1 } else { snapshot.fastRetransmits += 1 }
                // The sender gave up waiting for this sending: presume it lost.
                if let position = lastFlight[index], run.flights[position].sent <= event.time {
                    run.flights[position].arrived = nil
                }
            case .rto:
                snapshot.rtoMilliseconds = event.rtoMilliseconds
            case .cwnd:
                snapshot.congestionWindow = event.congestion?.window
            case .start, .receive, .ackSent:
                continue
            }
            snapshot.time = event.time
            if let last = run.senderStates.last, last.sameState(as: snapshot) { continue }
            if run.senderStates.last?.time == snapshot.time { run.senderStates.removeLast() }
            run.senderStates.append(snapshot)
        }
        run.receiverStates.sort { $0.time < $1.time }
    }

    static func receiverSide(_ events: [TraceEvent], into run: inout AnimationRun, delay: Double) {
        var counts: [Int: Int] = [:]
        var receiver = ReceiverFollower(keepsOutOfOrder: run.protocolName == "sr")
        var snapshot = SenderSnapshot(time: 0, phase: "inferred", base: 0, next: 0)
        for event in events {
            switch event.kind {
            case .receive:
                guard let index = event.index else { continue }
                counts[index, default: 0] += 1
                var flight = AnimationFlight(kind: .data, towardReceiver: true, sent: max(0, event.time - delay))
                flight.index = index
                flight.transmission = counts[index]!
                flight.arrived = event.time
                flight.estimated = true
                run.flights.append(flight)
                receiver.received(index, duplicate: event.duplicate, at: event.time)
                snapshot.next = max(snapshot.next, index + 1)
            case .ackSent:
                guard let cumulative = event.cumulative else { continue }
                var flight = AnimationFlight(kind: .ack, towardReceiver: false, sent: event.time)
                flight.cumulative = cumulative
                flight.arrived = event.time + delay
                flight.estimated = true
                run.flights.append(flight)
                receiver.acknowledged(cumulative: cumulative, at: event.time)
            default:
                continue
            }
            receiver.record(into: &run.receiverStates)
            snapshot.time = event.time
            if let last = run.senderStates.last, last.sameState(as: snapshot) { continue }
            run.senderStates.append(snapshot)
        }
    }

    /// Computed notes for a trace: counts of what it shows.
    static func notes(_ run: AnimationRun) -> [String] {
        let data = run.flights.filter { $0.kind == .data }
        let resent = data.filter(\.retransmission)
        var notes = ["The trace holds \(AnimationFormat.count(data.count, "DATA event")) over "
            + "\(AnimationFormat.trimmed(run.endTime)) s: \(AnimationFormat.count(resent.count, "retransmission")), "
            + "\(AnimationFormat.count(run.timeouts.count, "timeout")) and "
            + "\(AnimationFormat.count(run.marks.filter { $0.kind == .fastRetransmit }.count, "fast retransmit"))."]
        let presumed = data.filter(\.lost)
        if !presumed.isEmpty {
            notes.append("\(AnimationFormat.count(presumed.count, "sending")) presumed lost (the sender timed out on "
                + (presumed.count == 1 ? "it" : "them") + " or resent early): packets "
                + AnimationFormat.list(presumed.prefix(12).map { "\($0.index ?? -1)" }) + (presumed.count > 12 ? ", …" : "") + ".")
        }
        if let last = run.receiverStates.last, last.recorded, last.duplicates > 0 || last.discarded > 0 {
            notes.append("The receiver got \(AnimationFormat.count(last.duplicates, "duplicate")) and threw away "
                + "\(last.discarded) out-of-order packets.")
        }
        return notes
    }
}
