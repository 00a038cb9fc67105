import Impairment
import RUDP

/// Runs a message stream (`MessageScenario`) over an impaired link on a virtual clock: raw UDP
/// datagrams, or an RUDP Selective Repeat connection whose receiver hands messages over in
/// order or as they arrive. Every random choice comes from the scenario's seed.
///
/// The application writes message i at `start + i × interval`, where `start` is 0 for UDP and
/// the moment the RUDP handshake completed (the handshake's cost is what the request/response
/// measurement is for). A message the window cannot take yet waits in the application's queue,
/// and that wait counts in its latency.
public enum MessageSimulation {
    public static func run(_ scenario: MessageScenario) -> MessageOutcome {
        precondition(scenario.messageSize >= MessageStamp.minimumSize && scenario.messageSize <= MessageSenderDefaults.mss,
                     "messages are \(MessageStamp.minimumSize)...1200 bytes")
        switch scenario.transport {
        case .udp:
            return runDatagrams(scenario)
        case .rudpOrdered, .rudpUnordered, .rudpRedundant:
            var run = MessageConnectionRun(scenario)
            return run.execute()
        }
    }

    /// Raw UDP: every message is one datagram through the forward direction, never resent.
    static func runDatagrams(_ scenario: MessageScenario) -> MessageOutcome {
        let link = ImpairedLink(forward: scenario.forward, reverse: scenario.reverse, seed: scenario.seed)
        let message = UnsafeMutableRawBufferPointer.allocate(byteCount: scenario.messageSize, alignment: 8)
        defer { message.deallocate() }
        var sendTimes: [UInt64] = []
        sendTimes.reserveCapacity(scenario.count)
        var arrivals = [UInt64?](repeating: nil, count: scenario.count)
        func receive(_ bytes: UnsafeRawBufferPointer, now: UInt64) {
            // Duplicates (if the link makes them) are delivered once, as RUDP would.
            guard let stamp = MessageStamp.read(bytes), stamp.index < UInt64(arrivals.count),
                  arrivals[Int(stamp.index)] == nil else { return }
            arrivals[Int(stamp.index)] = now
        }
        for index in 0..<scenario.count {
            let now = UInt64(index) * scenario.interval
            while let due = link.forward.nextReleaseTime, due <= now {
                link.forward.releaseDue(now: due) { bytes, _ in receive(bytes, now: due) }
            }
            MessageStamp.write(index: UInt64(index), sentAt: now, into: message)
            link.forward.submit(UnsafeRawBufferPointer(message), tag: UInt64(index), now: now)
            sendTimes.append(now)
        }
        while let due = link.forward.nextReleaseTime {
            link.forward.releaseDue(now: due) { bytes, _ in receive(bytes, now: due) }
        }
        return MessageOutcome(transport: .udp, sendTimes: sendTimes, arrivalTimes: arrivals, retransmissions: 0,
                              failure: nil)
    }
}

/// One RUDP message stream while it runs: a sender application writing on a schedule, the
/// protocol endpoints and the link, moved forward event by event.
private struct MessageConnectionRun: LinkedEndpoints {
    let scenario: MessageScenario
    let link: ImpairedLink
    let sender: Sender
    var receiver: Receiver?
    var receiverRandom: SeededRandom
    var now: UInt64 = 0
    /// When the handshake completed: message i is written at `start + i × interval`.
    var start: UInt64?
    /// Messages whose time has come (written by the application).
    var produced = 0
    /// Messages the sender has taken (the rest of `produced` wait in the application's queue).
    var accepted = 0
    var hasher = SHA256()
    var writingFinished = false
    var sendTimes: [UInt64]
    var arrivals: [UInt64?]
    /// The send time each arrived message carried, as the receiving application read it.
    var stampedSendTimes: [UInt64?]
    var failure: String?
    var integrityViolated = false
    var hung = false
    let datagram = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
    let message: UnsafeMutableRawBufferPointer

    init(_ scenario: MessageScenario) {
        self.scenario = scenario
        link = ImpairedLink(forward: scenario.forward, reverse: scenario.reverse, seed: scenario.seed)
        var random = SeededRandom(seed: scenario.seed, stream: "message endpoints")
        var configuration = SenderConfiguration(
            mode: .selectiveRepeat, mss: MessageSenderDefaults.mss, window: scenario.window, retransmission: scenario.retransmission,
            maxRetries: scenario.maxRetries, connectionID: UInt32(truncatingIfNeeded: random.next()),
            initialSequence: UInt32(truncatingIfNeeded: random.next()), fileName: Array("messages".utf8),
            fileSize: UInt64(scenario.count * scenario.messageSize))
        configuration.delivery = scenario.transport == .rudpOrdered ? .ordered : .unordered
        configuration.redundancy = scenario.redundancy ?? (scenario.transport == .rudpRedundant ? 1 : 0)
        configuration.congestionControl = scenario.congestionControl
        sender = Sender(configuration: configuration, now: 0)
        receiverRandom = random
        sendTimes = []
        sendTimes.reserveCapacity(scenario.count)
        arrivals = [UInt64?](repeating: nil, count: scenario.count)
        stampedSendTimes = arrivals
        message = UnsafeMutableRawBufferPointer.allocate(byteCount: scenario.messageSize, alignment: 8)
    }

    mutating func execute() -> MessageOutcome {
        defer {
            datagram.deallocate()
            message.deallocate()
        }
        var stalledIterations = 0
        while true {
            pumpUntilQuiet()
            if isOver { break }
            guard let next = nextEventTime else {
                failure = "the simulation stalled with nothing scheduled (sender \(sender.state))"
                hung = true
                break
            }
            if next <= now {
                stalledIterations += 1
                if stalledIterations > 1_000_000 {
                    failure = "the simulation made no progress at \(now) ns"
                    hung = true
                    break
                }
            } else {
                stalledIterations = 0
                now = next
            }
            if now > timeLimit {
                failure = "messages still undelivered \(Double(scenario.drainLimit) / 1e9) s after the last was written"
                hung = true
                break
            }
            sender.handleTimeout(now: now)
            receiver?.handleTimeout(now: now)
        }
        if failure == nil, case .failed(let error) = sender.state { failure = "sender failed: \(error)" }
        var outcome = MessageOutcome(transport: scenario.transport, sendTimes: sendTimes, arrivalTimes: arrivals,
                                     retransmissions: sender.statistics.retransmissions, failure: failure)
        outcome.redundantBytes = sender.statistics.redundantBytesSent
        outcome.messageBytes = UInt64(sendTimes.count * scenario.messageSize)
        outcome.senderFinished = sender.state == .finished
        outcome.integrityViolated = integrityViolated
        outcome.hung = hung
        return outcome
    }

    /// Virtual time past which the run stops: the drain limit after the last message was due.
    var timeLimit: UInt64 {
        (start ?? 0) + UInt64(scenario.count) * scenario.interval + scenario.drainLimit
    }

    var isOver: Bool {
        switch sender.state {
        case .finished: return receiver?.isReclaimable ?? true
        case .failed: return link.nextReleaseTime == nil
        default: return false
        }
    }

    var nextMessageTime: UInt64? {
        guard let start, produced < scenario.count else { return nil }
        return start + UInt64(produced) * scenario.interval
    }

    var nextEventTime: UInt64? {
        [sender.nextDeadline, receiver?.nextDeadline, link.nextReleaseTime, nextMessageTime].compactMap { $0 }.min()
    }

    /// The sending application: writes every message whose time has come, then the sender sends.
    mutating func drainSender() -> Bool {
        writeMessages()
        return link.forward.submitAll(from: sender, through: datagram, now: now) { writeMessages() }
    }

    mutating func writeMessages() {
        guard sender.state == .transferring else { return }
        if start == nil { start = now }
        while let due = nextMessageTime, due <= now {
            sendTimes.append(due)
            produced += 1
        }
        while accepted < produced {
            MessageStamp.write(index: UInt64(accepted), sentAt: sendTimes[accepted], into: message)
            guard sender.writeMessage(UnsafeRawBufferPointer(message)) else { return }
            hasher.update(UnsafeRawBufferPointer(message))
            accepted += 1
        }
        if accepted == scenario.count && !writingFinished {
            writingFinished = true
            sender.finishWriting(sha256: hasher.finalize())
        }
    }

    mutating func drainReceiver() -> Bool {
        guard let receiver else { return false }
        return link.reverse.submitAll(from: receiver, through: datagram, now: now)
    }

    /// The receiving application: takes each message the receiver hands over and notes its time.
    mutating func deliverToReceiver(_ bytes: UnsafeRawBufferPointer, tag: UInt64) {
        guard let packet = try? PacketView.decode(bytes) else { return }
        guard let receiver else {
            guard packet.header.type == .syn else { return }
            let configuration = ReceiverConfiguration(initialSequence: UInt32(truncatingIfNeeded: receiverRandom.next()))
            guard let created = try? Receiver(syn: packet, configuration: configuration, now: now) else { return }
            created.accept(now: now)
            receiver = created
            return
        }
        receiver.handle(packet: packet, now: now)
        var intact = true
        let arrivedAt = now
        receiver.readDelivered { payload in
            guard payload.count == scenario.messageSize, let stamp = MessageStamp.read(payload),
                  stamp.index < UInt64(arrivals.count), arrivals[Int(stamp.index)] == nil else {
                intact = false
                return
            }
            arrivals[Int(stamp.index)] = arrivedAt
            stampedSendTimes[Int(stamp.index)] = stamp.sentAt
        }
        if !intact {
            integrityViolated = true
            receiver.fail(code: .integrityFailure, message: "a message arrived damaged or twice", now: now)
        } else if case .finishing(let fin) = receiver.state {
            if fin.sha256 == digestOfArrivedMessages() {
                receiver.confirmFinish(now: now)
            } else {
                integrityViolated = true
                receiver.fail(code: .integrityFailure, message: "messages missing or different", now: now)
            }
        }
    }

    /// SHA-256 of the arrived messages in index order, rebuilt from their stamps (each message
    /// is a function of its index and send time), or nil while any is missing.
    func digestOfArrivedMessages() -> SHA256Digest? {
        var hasher = SHA256()
        for index in 0..<stampedSendTimes.count {
            guard let sentAt = stampedSendTimes[index] else { return nil }
            MessageStamp.write(index: UInt64(index), sentAt: sentAt, into: message)
            hasher.update(UnsafeRawBufferPointer(message))
        }
        return hasher.finalize()
    }
}
