#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Impairment
import RUDP

/// Runs a sender and a receiving endpoint over an impaired link on a virtual clock: the same
/// state machines as the real programs (the receiver's `ReceiverEndpoint` validates the sender's
/// address and holds it to the amplification limit, as rudp-recv's does), with every random
/// choice taken from the scenario's seed.
public enum TransferSimulation {
    /// Runs `scenario` to its end; `senderObserver` hears the sender's protocol events (as
    /// `--trace` does), on the virtual clock.
    public static func run(_ scenario: TransferScenario, senderObserver: ProtocolEventObserver? = nil) -> TransferOutcome {
        var observers = SimulationObservers()
        observers.sender = senderObserver
        return run(scenario, observers: observers)
    }

    /// Runs `scenario` to its end, telling `observers` everything that happens (an animation).
    public static func run(_ scenario: TransferScenario, observers: SimulationObservers) -> TransferOutcome {
        var run = SimulationRun(scenario, observers: observers)
        run.sender.observer = observers.sender
        return run.execute()
    }
}

/// The state of one simulation while it runs.
private struct SimulationRun: LinkedEndpoints {
    let scenario: TransferScenario
    let observers: SimulationObservers
    let link: ImpairedLink
    let sender: Sender
    let endpoint: ReceiverEndpoint
    /// The connection of the sender's transfer, once its SYN arrived.
    var connection: InboundConnection?
    var receiver: Receiver? { connection?.receiver }
    var now: UInt64 = 0
    var produced = 0
    var delivered = 0
    var deliveredMatch = true
    var senderEndTime: UInt64?
    /// Datagrams submitted so far per direction: the next one's serial (and tag) is one more.
    var forwardSerial = 0
    var reverseSerial = 0
    /// When the receiving application saved the file (confirmed the FIN).
    var savedAt: UInt64?
    /// When a `.once` receiver exited.
    var exitTime: UInt64?
    /// A FIN after the save was handed to the endpoint, and no FIN-ACK has gone out since.
    var awaitingFinAck = false
    var finsUnanswered = 0
    let datagram = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
    let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
    /// The whole file, shared between simulations, when it is small enough.
    let reference: ContentReference?
    /// The sender's address as the receiving endpoint sees it, before any rebinding.
    static let senderAddress = PeerAddress(ipv4: 0x0a4d_0001, port: 40_000)
    /// Highest migration count seen on the transfer's connection.
    var migrations = 0

    /// The sender's address now: its NAT moves it to the next port every `rebindInterval`.
    var senderAddressNow: PeerAddress {
        guard let interval = scenario.rebindInterval, interval > 0 else { return Self.senderAddress }
        return PeerAddress(ipv4: 0x0a4d_0001, port: 40_000 + UInt16(truncatingIfNeeded: (now / interval) % 20_000))
    }

    /// A link tag: the datagram's serial and, above it, the sender port it came from or goes to.
    static func tag(serial: Int, port: UInt16) -> UInt64 { UInt64(serial) | UInt64(port) << 32 }
    static func serial(of tag: UInt64) -> Int { Int(tag & 0xffff_ffff) }
    static func port(of tag: UInt64) -> UInt16 { UInt16(truncatingIfNeeded: tag >> 32) }

    init(_ scenario: TransferScenario, observers: SimulationObservers) {
        self.scenario = scenario
        self.observers = observers
        link = ImpairedLink(forward: scenario.forward, reverse: scenario.reverse, seed: scenario.seed)
        var random = SeededRandom(seed: scenario.seed, stream: "endpoints")
        var configuration = SenderConfiguration(
            mode: scenario.mode, mss: scenario.mss, window: scenario.window,
            retransmission: scenario.retransmission, maxRetries: scenario.maxRetries,
            connectionID: UInt32(truncatingIfNeeded: random.next()),
            initialSequence: scenario.initialSequence ?? UInt32(truncatingIfNeeded: random.next()),
            fileName: Array("simulated.bin".utf8), fileSize: UInt64(scenario.size))
        configuration.fastRetransmitThreshold = 3
        configuration.congestionControl = scenario.congestionControl
        configuration.sendsEarlyData = scenario.earlyData
        sender = Sender(configuration: configuration, now: 0)
        var receiverConfiguration = ReceiverConfiguration(initialSequence: 0)
        receiverConfiguration.idleTimeout = scenario.receiverIdleTimeout
        if let frequency = scenario.receiverAckFrequency { receiverConfiguration.ackFrequency = frequency }
        receiverConfiguration.idleTimeoutFollowsSender = scenario.receiverIdleTimeoutFollowsSender
        // As rudp-recv --once configures its endpoint (ReceiveServer).
        receiverConfiguration.lingersUntilSenderGivesUp = scenario.receiverLifecycle == .once
        let receiverRandom = SimulationRandom(random)
        endpoint = ReceiverEndpoint(configuration: ReceiverEndpointConfiguration(receiver: receiverConfiguration),
                                    random: receiverRandom.next)
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
            observers.instantSettled?(now, sender)
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
            if receiverAlive {
                endpoint.handleTimeout(now: now)
                handleEndpointEvents()
            }
        }
        var outcome = TransferOutcome(
            senderState: sender.state, receiverState: receiver?.state, senderStatistics: sender.statistics,
            receiverStatistics: receiver?.statistics, bytesDelivered: delivered, deliveredBytesMatch: deliveredMatch,
            senderEndTime: senderEndTime, endTime: now, receiverExitTime: exitTime, finsUnanswered: finsUnanswered, hung: hung,
            migrations: migrations, forwardStatistics: link.forward.stats, reverseStatistics: link.reverse.stats)
        if let response = sender.response {
            outcome.responseBytes = response.count
            outcome.responseMatches = response == Self.response(for: scenario)
        }
        return outcome
    }

    var receiverAlive: Bool { exitTime == nil && (scenario.receiverVanishesAt.map { now < $0 } ?? true) }

    var senderDone: Bool {
        switch sender.state {
        case .finished, .failed: true
        default: false
        }
    }

    var isOver: Bool {
        guard senderDone else { return false }
        guard let connection, receiverAlive else { return link.nextReleaseTime == nil }
        return !connection.isOpen
    }

    var nextEventTime: UInt64? {
        [sender.nextDeadline, receiverAlive ? endpoint.nextDeadline : nil, link.nextReleaseTime]
            .compactMap { $0 }.min()
    }

    /// Sends everything the sender has to send now; true if it sent anything.
    mutating func drainSender() -> Bool {
        feedSender()
        var sent = false
        let pipeline = link.forward  // see submit
        while let length = sender.pollTransmit(into: datagram, now: now) {
            submit(length, to: .forward, through: pipeline, port: senderAddressNow.port)
            sent = true
            feedSender()
        }
        if senderEndTime == nil && senderDone { senderEndTime = now }
        return sent
    }

    /// Sends everything the receiver has to send now; true if it sent anything.
    mutating func drainReceiver() -> Bool {
        guard receiverAlive else { return false }
        var sent = false
        while let transmit = endpoint.pollTransmit(into: datagram, now: now) {
            if datagram[WireLayout.typeOffset] == PacketType.finAck.rawValue { awaitingFinAck = false }
            submit(transmit.length, to: .reverse, through: link.reverse, port: transmit.destination.port)
            sent = true
        }
        return sent
    }

    /// Puts the first `length` bytes of `datagram` on `pipeline`, the link's `direction`, tagged
    /// with their serial. The caller passes the pipeline: read out of `self` in here, it was
    /// retained and released for every datagram (an atomic operation each, a few percent of
    /// the simulator's time).
    mutating func submit(_ length: Int, to direction: ImpairedLink.Direction, through pipeline: ImpairmentPipeline,
                         port: UInt16) {
        let bytes = UnsafeRawBufferPointer(rebasing: datagram[0..<length])
        let serial: Int
        if direction == .forward {
            forwardSerial += 1
            serial = forwardSerial
        } else {
            reverseSerial += 1
            serial = reverseSerial
        }
        let tag = Self.tag(serial: serial, port: port)
        guard let observe = observers.datagramSent else {
            pipeline.submit(bytes, tag: tag, now: now)
            return
        }
        let droppedBefore = pipeline.stats.dropped
        pipeline.submit(bytes, tag: tag, now: now)
        observe(now, direction, serial, bytes, pipeline.stats.dropped > droppedBefore)
    }

    func arrived(from direction: ImpairedLink.Direction, tag: UInt64) {
        observers.datagramArrived?(now, direction, Self.serial(of: tag))
    }

    /// The sender's NAT forwards only what comes to the sender's current port: the mapping of
    /// an earlier one is gone.
    mutating func deliverToSender(_ bytes: UnsafeRawBufferPointer, tag: UInt64) {
        guard Self.port(of: tag) == senderAddressNow.port else { return }
        sender.handle(datagram: bytes, now: now)
    }

    /// The application side of the sender: hands over pattern bytes while there is room.
    mutating func feedSender() {
        // While connecting, too: a congestion-controlled sender's first flight follows its SYN.
        guard sender.state == .transferring || sender.state == .connecting else { return }
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

    /// The network side of the receiver process: the endpoint demultiplexes and validates; the
    /// application accepts every offer and checks what is delivered.
    mutating func deliverToReceiver(_ bytes: UnsafeRawBufferPointer, tag: UInt64) {
        let isLateFin = savedAt != nil && Self.isFin(bytes, of: sender.configuration.connectionID)
        guard receiverAlive else {
            if isLateFin { finsUnanswered += 1 }
            return
        }
        // Answered or not, it is answered now: the endpoint replies before the next datagram.
        awaitingFinAck = isLateFin
        defer {
            if isLateFin {
                _ = drainReceiver()
                if awaitingFinAck { finsUnanswered += 1 }
                awaitingFinAck = false
            }
        }
        let source = PeerAddress(ipv4: 0x0a4d_0001, port: Self.port(of: tag))
        let outcome = endpoint.handle(datagram: bytes, from: source, now: now)
        handleEndpointEvents()
        guard let handle = connection?.handle, outcome.connection == handle else { return }
        migrations = max(migrations, connection!.migrations)
        // The receiver goes straight into the call: bound to a local, a reference read out of
        // `self` is retained and released (the connection and its receiver, on every datagram).
        readDelivered(outcome.inOrderPayload, from: connection!.receiver, of: handle)
    }

    /// The application side of the receiver process: checks what `receiver` delivered (first
    /// `inOrderPayload`, straight from the datagram) and saves the file once it is all there.
    mutating func readDelivered(_ inOrderPayload: UnsafeRawBufferPointer?, from receiver: Receiver, of handle: ConnectionHandle) {
        var check = DeliveryCheck(offset: delivered, matches: deliveredMatch, reference: reference?.bytes, scratch: scratch)
        // As rudp-recv does: in-order payloads straight from the datagram, the rest reassembled.
        if let payload = inOrderPayload { check.add(payload) }
        receiver.readDelivered { check.add($0) }
        delivered = check.offset
        deliveredMatch = check.matches
        if case .finishing(let fin) = receiver.state {
            if fin.fileSize == UInt64(delivered) && fin.sha256 == ContentPattern.sha256(size: delivered) && deliveredMatch {
                endpoint.confirmFinish(handle, now: now)
                savedAt = now
            } else {
                endpoint.fail(handle, code: .integrityFailure, message: "SHA-256 mismatch", now: now)
            }
        }
    }

    /// The receiving application accepts every offer and follows the transfer's connection:
    /// the latest one until one was validated. (A handshake can outlast its half-open
    /// connection under heavy loss, and its next SYN opens another, as at rudp-recv; a duplicate
    /// SYN arriving after the transfer ended opens one too, which is not the transfer's.)
    mutating func handleEndpointEvents() {
        while let event = endpoint.pollEvent() {
            switch event {
            case .offered(let offered):
                if connection?.isAddressValidated != true {
                    connection = offered
                    offered.observe(observers.receiver)
                }
                let answer = offered.earlyData != nil && scenario.responseSize > 0 ? Self.response(for: scenario) : nil
                endpoint.accept(offered.handle, response: answer, now: now)
            case .closed(let closed):
                // rudp-recv --once ends with its transfer's connection (ReceiveServer: the first
                // transfer reported, once it departs; a failed handshake counts when it was the only one).
                guard scenario.receiverLifecycle == .once, exitTime == nil, closed === connection,
                      closed.isAddressValidated || endpoint.isEmpty else { continue }
                exitTime = now
            case .validated:
                continue
            }
        }
    }

    /// What the receiving application answers early data with.
    static func response(for scenario: TransferScenario) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: scenario.responseSize)
        bytes.withUnsafeMutableBytes { ContentPattern.fill($0, offset: 1 << 40) }
        return bytes
    }

    /// Whether `bytes` hold a FIN of connection `connectionID` (checked as the endpoint would).
    static func isFin(_ bytes: UnsafeRawBufferPointer, of connectionID: UInt32) -> Bool {
        guard let packet = try? PacketView.decode(bytes) else { return false }
        return packet.header.type == .fin && packet.header.connectionID == connectionID
    }
}

/// Checks delivered bytes against the file, chunk by chunk. A value of plain fields: a local
/// function capturing the running offset and verdict made the compiler box both on the heap,
/// two allocations per delivered datagram. `reference` is the bytes of the simulation's
/// `ContentReference`, which the simulation keeps alive.
private struct DeliveryCheck {
    var offset: Int
    var matches: Bool
    let reference: UnsafeRawBufferPointer?
    let scratch: UnsafeMutableRawBufferPointer

    mutating func add(_ chunk: UnsafeRawBufferPointer) {
        if let reference {
            if offset + chunk.count > reference.count
                || memcmp(chunk.baseAddress!, reference.baseAddress! + offset, chunk.count) != 0 {
                matches = false
            }
        } else if !ContentPattern.matches(chunk, offset: UInt64(offset), scratch: scratch) {
            matches = false
        }
        offset += chunk.count
    }
}

/// A seeded random source the receiving endpoint can call (it takes a function, not a value).
final class SimulationRandom {
    private var random: SeededRandom

    init(_ random: SeededRandom) {
        self.random = random
    }

    func next() -> UInt64 { random.next() }
}
