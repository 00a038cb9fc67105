import Impairment
import RUDP
import RUDPSim

/// Collects what one simulated transfer does, as `SimulationObservers` report it, into an
/// `AnimationRun`: each datagram decoded from its bytes as it enters the link, its arrival
/// when it leaves, the sender's events and state after every instant, the receiver's events.
final class TransferRecording {
    private(set) var run: AnimationRun
    /// Flights by direction and serial (the scripted-drop numbering), to find one to lose.
    private(set) var forwardSerials: [Int: Int] = [:]
    private(set) var reverseSerials: [Int: Int] = [:]
    private let mss: Int
    private let controlled: Bool
    /// The first DATA packet's sequence number (the SYN's plus one), once the SYN went out.
    private var dataOrigin: SequenceNumber?
    private var transmissionCounts: [Int: Int] = [:]
    /// SACKed packets the sender has heard of, above its base.
    private var sacked: Set<Int> = []
    private var receiver: ReceiverFollower
    /// Flights the link dropped (their `arrived` stays nil for good).
    private(set) var lostPositions: Set<Int> = []

    init(run: AnimationRun, mode: TransferMode, mss: Int, controlled: Bool) {
        self.run = run
        self.mss = mss
        self.controlled = controlled
        receiver = ReceiverFollower(keepsOutOfOrder: mode == .selectiveRepeat)
    }

    /// The hooks to give `TransferSimulation.run`.
    var observers: SimulationObservers {
        var observers = SimulationObservers()
        observers.sender = { [unowned self] now, event in senderEvent(event, now: now) }
        observers.receiver = { [unowned self] now, event in receiverEvent(event, now: now) }
        observers.datagramSent = { [unowned self] now, direction, serial, bytes, dropped in
            datagramSent(bytes, direction: direction, serial: serial, dropped: dropped, now: now)
        }
        observers.datagramArrived = { [unowned self] now, direction, serial in
            datagramArrived(direction: direction, serial: serial, now: now)
        }
        observers.instantSettled = { [unowned self] now, sender in settled(sender, now: now) }
        return observers
    }

    static func seconds(_ nanoseconds: UInt64) -> Double { Double(nanoseconds) / 1e9 }

    // MARK: The link

    private func datagramSent(_ bytes: UnsafeRawBufferPointer, direction: ImpairedLink.Direction, serial: Int,
                              dropped: Bool, now: UInt64) {
        let towardReceiver = direction == .forward
        var flight = AnimationFlight(kind: .other, towardReceiver: towardReceiver, sent: Self.seconds(now))
        if let packet = try? PacketView.decode(bytes) {
            let header = packet.header
            switch header.type {
            case .syn:
                flight.kind = .syn
                dataOrigin = header.sequence + 1
            case .synAck: flight.kind = .synAck
            case .data:
                flight.kind = .data
                if let index = packetIndex(header.sequence) {
                    flight.index = index
                    transmissionCounts[index, default: 0] += 1
                    flight.transmission = transmissionCounts[index]!
                }
            case .ack where !towardReceiver:
                flight.kind = .ack
                flight.cumulative = packetIndex(header.acknowledgement)
                flight.sackBlocks = packet.sackBlocks.compactMap { block in
                    guard let start = packetIndex(block.start), let end = packetIndex(block.end), start < end else { return nil }
                    return start..<end
                }
            case .ack: flight.kind = .other  // the sender's keepalive
            case .fin: flight.kind = .fin
            case .finAck: flight.kind = .finAck
            case .reset: flight.kind = .reset
            case .pathChallenge, .pathResponse: flight.kind = .other
            }
        }
        run.flights.append(flight)
        let position = run.flights.count - 1
        if towardReceiver { forwardSerials[serial] = position } else { reverseSerials[serial] = position }
        if dropped { lostPositions.insert(position) }
    }

    /// Datagrams still on the link when the simulation ended (the sender's ACKs of the FIN-ACK,
    /// a last repeat) were not lost: they are drawn arriving one delay later, as estimated.
    func closeUnfinishedFlights(oneWayDelay: Double) {
        for position in run.flights.indices where run.flights[position].arrived == nil && !lostPositions.contains(position) {
            run.flights[position].arrived = run.flights[position].sent + oneWayDelay
            run.flights[position].estimated = true
        }
    }

    private func datagramArrived(direction: ImpairedLink.Direction, serial: Int, now: UInt64) {
        let serials = direction == .forward ? forwardSerials : reverseSerials
        guard let position = serials[serial], run.flights[position].arrived == nil else { return }
        run.flights[position].arrived = Self.seconds(now)
        let flight = run.flights[position]
        if flight.kind == .ack {
            for block in flight.sackBlocks { sacked.formUnion(block) }
        }
    }

    private func packetIndex(_ sequence: SequenceNumber) -> Int? {
        guard let dataOrigin else { return nil }
        let distance = sequence.distance(from: dataOrigin)
        return distance >= 0 ? Int(distance) : nil
    }

    // MARK: The endpoints

    private func senderEvent(_ event: ProtocolEvent, now: UInt64) {
        switch event {
        case .timeout(let index, let rto):
            run.marks.append(AnimationMark(kind: .timeout, time: Self.seconds(now), index: Int(index),
                                           rtoMilliseconds: Double(rto) / 1e6))
        case .fastRetransmit(let index):
            run.marks.append(AnimationMark(kind: .fastRetransmit, time: Self.seconds(now), index: Int(index)))
        default:
            break
        }
    }

    private func receiverEvent(_ event: ProtocolEvent, now: UInt64) {
        switch event {
        case .received(let index, let duplicate, _):
            receiver.received(Int(index), duplicate: duplicate, at: Self.seconds(now))
        case .ackSent(let cumulative, _, _):
            receiver.acknowledged(cumulative: Int(cumulative), at: Self.seconds(now))
        default:
            return
        }
        receiver.record(into: &run.receiverStates)
    }

    private func settled(_ sender: Sender, now: UInt64) {
        let phase: String
        switch sender.state {
        case .connecting: phase = "connecting"
        case .transferring: phase = "transferring"
        case .closing: phase = "closing"
        case .finished: phase = "finished"
        case .failed: phase = "failed"
        }
        let base = Int(sender.windowBase)
        var snapshot = SenderSnapshot(time: Self.seconds(now), phase: phase, base: base, next: Int(sender.nextNewPacket))
        sacked = sacked.filter { $0 >= base }
        snapshot.selectivelyAcknowledged = sacked.sorted()
        snapshot.timerDeadline = sender.retransmissionDeadline.map(Self.seconds)
        snapshot.rtoMilliseconds = Double(sender.timer.timeout) / 1e6
        if controlled { snapshot.congestionWindow = Double(sender.congestion.window) / Double(mss) }
        snapshot.retransmissions = sender.statistics.retransmissions
        snapshot.timeouts = sender.statistics.timeouts
        snapshot.fastRetransmits = sender.statistics.fastRetransmits
        if let last = run.senderStates.last, last.sameState(as: snapshot) { return }
        run.senderStates.append(snapshot)
    }
}
