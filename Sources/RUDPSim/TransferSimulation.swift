#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Impairment
import RUDP

/// Runs a sender and a receiver over an impaired link on a virtual clock: the same state
/// machines as the real programs, with every random choice taken from the scenario's seed.
public enum TransferSimulation {
    public static func run(_ scenario: TransferScenario) -> TransferOutcome {
        var run = SimulationRun(scenario)
        return run.execute()
    }
}

/// The state of one simulation while it runs.
private struct SimulationRun: LinkedEndpoints {
    let scenario: TransferScenario
    let link: ImpairedLink
    let sender: Sender
    var receiver: Receiver?
    var now: UInt64 = 0
    var produced = 0
    var delivered = 0
    var deliveredMatch = true
    var senderEndTime: UInt64?
    let datagram = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
    let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
    /// The whole file, shared between simulations, when it is small enough.
    let reference: ContentReference?
    var receiverRandom: SeededRandom

    init(_ scenario: TransferScenario) {
        self.scenario = scenario
        link = ImpairedLink(forward: scenario.forward, reverse: scenario.reverse, seed: scenario.seed)
        var random = SeededRandom(seed: scenario.seed, stream: "endpoints")
        var configuration = SenderConfiguration(
            mode: scenario.mode, mss: scenario.mss, window: scenario.window,
            retransmission: scenario.retransmission, maxRetries: scenario.maxRetries,
            connectionID: UInt32(truncatingIfNeeded: random.next()),
            initialSequence: scenario.initialSequence ?? UInt32(truncatingIfNeeded: random.next()),
            fileName: Array("simulated.bin".utf8), fileSize: UInt64(scenario.size))
        configuration.fastRetransmitThreshold = 3
        sender = Sender(configuration: configuration, now: 0)
        receiverRandom = random
        reference = ContentPattern.reference(size: scenario.size)
    }

    mutating func execute() -> TransferOutcome {
        defer {
            datagram.deallocate()
            scratch.deallocate()
        }
        var hung = false
        var stalledIterations = 0
        while true {
            pumpUntilQuiet()
            if isOver { break }
            guard let next = nextEventTime else {
                hung = true  // nothing scheduled, yet not over: a deadlock
                break
            }
            if next <= now {
                stalledIterations += 1
                if stalledIterations > 1_000_000 { hung = true; break }
            } else {
                stalledIterations = 0
                now = next
            }
            if now > scenario.timeLimit { hung = true; break }
            sender.handleTimeout(now: now)
            if receiverAlive { receiver?.handleTimeout(now: now) }
        }
        return TransferOutcome(
            senderState: sender.state, receiverState: receiver?.state, senderStatistics: sender.statistics,
            receiverStatistics: receiver?.statistics, bytesDelivered: delivered, deliveredBytesMatch: deliveredMatch,
            senderEndTime: senderEndTime, endTime: now, hung: hung,
            forwardStatistics: link.forward.stats, reverseStatistics: link.reverse.stats)
    }

    var receiverAlive: Bool { scenario.receiverVanishesAt.map { now < $0 } ?? true }

    var senderDone: Bool {
        switch sender.state {
        case .finished, .failed: true
        default: false
        }
    }

    var isOver: Bool {
        guard senderDone else { return false }
        guard let receiver, receiverAlive else { return link.nextReleaseTime == nil }
        return receiver.isReclaimable
    }

    var nextEventTime: UInt64? {
        [sender.nextDeadline, receiverAlive ? receiver?.nextDeadline : nil, link.nextReleaseTime]
            .compactMap { $0 }.min()
    }

    /// Sends everything the sender has to send now; true if it sent anything.
    mutating func drainSender() -> Bool {
        feedSender()
        var sent = false
        while let length = sender.pollTransmit(into: datagram, now: now) {
            link.forward.submit(UnsafeRawBufferPointer(rebasing: datagram[0..<length]), tag: 0, now: now)
            sent = true
            feedSender()
        }
        if senderEndTime == nil && senderDone { senderEndTime = now }
        return sent
    }

    /// Sends everything the receiver has to send now; true if it sent anything.
    mutating func drainReceiver() -> Bool {
        guard let receiver, receiverAlive else { return false }
        var sent = false
        while let length = receiver.pollTransmit(into: datagram, now: now) {
            link.reverse.submit(UnsafeRawBufferPointer(rebasing: datagram[0..<length]), tag: 0, now: now)
            sent = true
        }
        return sent
    }

    /// The application side of the sender: hands over pattern bytes while there is room.
    mutating func feedSender() {
        guard sender.state == .transferring else { return }
        while produced < scenario.size && sender.writableBytes > 0 {
            let count = min(sender.writableBytes, scenario.size - produced, scratch.count)
            if let reference {
                produced += sender.write(UnsafeRawBufferPointer(rebasing: reference.bytes[produced..<(produced + count)]))
                continue
            }
            let chunk = UnsafeMutableRawBufferPointer(rebasing: scratch[0..<count])
            ContentPattern.fill(chunk, offset: UInt64(produced))
            produced += sender.write(UnsafeRawBufferPointer(chunk))
        }
        if produced == scenario.size { sender.finishWriting(sha256: ContentPattern.sha256(size: scenario.size)) }
    }

    /// The network side of the receiver process: demultiplex, create on SYN, deliver, finish.
    mutating func deliverToReceiver(_ bytes: UnsafeRawBufferPointer) {
        guard receiverAlive, let packet = try? PacketView.decode(bytes) else { return }
        if receiver == nil {
            guard packet.header.type == .syn else { return }
            var configuration = ReceiverConfiguration(initialSequence: UInt32(truncatingIfNeeded: receiverRandom.next()))
            configuration.idleTimeout = scenario.receiverIdleTimeout
            guard let created = try? Receiver(syn: packet, configuration: configuration, now: now) else { return }
            created.accept(now: now)
            receiver = created
            return
        }
        guard let receiver else { return }
        var offset = UInt64(delivered)
        var match = deliveredMatch
        let scratch = self.scratch
        let reference = self.reference
        func check(_ chunk: UnsafeRawBufferPointer) {
            if let reference {
                let end = Int(offset) + chunk.count
                if end > reference.bytes.count
                    || memcmp(chunk.baseAddress!, reference.bytes.baseAddress! + Int(offset), chunk.count) != 0 {
                    match = false
                }
            } else if !ContentPattern.matches(chunk, offset: offset, scratch: scratch) {
                match = false
            }
            offset += UInt64(chunk.count)
        }
        // As rudp-recv does: in-order payloads straight from the datagram, the rest reassembled.
        if let payload = receiver.handleDeliveringInOrder(packet: packet, now: now) { check(payload) }
        receiver.readDelivered(check)
        delivered = Int(offset)
        deliveredMatch = match
        if case .finishing(let fin) = receiver.state {
            if fin.fileSize == UInt64(delivered) && fin.sha256 == ContentPattern.sha256(size: delivered) && match {
                receiver.confirmFinish(now: now)
            } else {
                receiver.fail(code: .integrityFailure, message: "SHA-256 mismatch", now: now)
            }
        }
    }
}
