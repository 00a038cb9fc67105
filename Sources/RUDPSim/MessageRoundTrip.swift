import Impairment
import RUDP

/// One request and its response over an impaired link, on a virtual clock: how long a client
/// waits from its first packet to the response reaching its application.
public struct MessageRoundTripScenario: Sendable {
    /// How the exchange crosses the link.
    public enum Transport: String, Sendable, CaseIterable {
        /// One datagram each way; if either is lost there is no response.
        case udp
        /// RUDP carries data one way, so each side opens a connection to the other: the server
        /// opens its own as soon as the client's SYN arrives, and both handshakes overlap.
        case rudp
        /// RUDP 0-RTT, first contact: the request in the SYN, the response in the SYN-ACK
        /// (within three times the SYN; a larger one waits for the FIN's proof).
        case rudpZeroRTT
        /// RUDP 0-RTT with an address-validation token from an earlier connection of the same host.
        case rudpZeroRTTToken
    }

    public var transport: Transport
    /// Bytes of the request (and of the response, unless `responseSize` says otherwise).
    public var messageSize = 100
    /// Bytes of the response; nil: `messageSize`.
    public var responseSize: Int?
    /// Client → server impairments.
    public var forward = ImpairmentConfig()
    /// Server → client impairments.
    public var reverse = ImpairmentConfig()
    public var seed: UInt64
    /// The client gives up waiting after this much virtual time.
    public var timeLimit: UInt64 = 30_000_000_000

    /// Bytes of the response.
    public var effectiveResponseSize: Int { responseSize ?? messageSize }

    public init(transport: Transport, seed: UInt64) {
        self.transport = transport
        self.seed = seed
    }

    /// The same impairments in both directions.
    public mutating func impairBoth(_ config: ImpairmentConfig) {
        forward = config
        reverse = config
    }
}

/// Runs request/response exchanges (`MessageRoundTripScenario`).
public enum MessageRoundTripSimulation {
    /// Virtual nanoseconds from the client's first packet until the response reached its
    /// application, or nil if it never did within the time limit.
    public static func run(_ scenario: MessageRoundTripScenario) -> UInt64? {
        for size in [scenario.messageSize, scenario.effectiveResponseSize] {
            precondition(size >= MessageStamp.minimumSize && size <= MessageSenderDefaults.mss,
                         "messages are \(MessageStamp.minimumSize)...1200 bytes")
        }
        switch scenario.transport {
        case .udp: return runDatagrams(scenario)
        case .rudp:
            var run = RoundTripConnections(scenario)
            return run.execute()
        case .rudpZeroRTT, .rudpZeroRTTToken:
            var run = ZeroRTTRoundTrip(scenario)
            return run.execute()
        }
    }

    static func runDatagrams(_ scenario: MessageRoundTripScenario) -> UInt64? {
        let link = ImpairedLink(forward: scenario.forward, reverse: scenario.reverse, seed: scenario.seed)
        let message = UnsafeMutableRawBufferPointer.allocate(byteCount: scenario.messageSize, alignment: 8)
        let response = UnsafeMutableRawBufferPointer.allocate(byteCount: scenario.effectiveResponseSize, alignment: 8)
        defer {
            message.deallocate()
            response.deallocate()
        }
        MessageStamp.write(index: 0, sentAt: 0, into: message)
        link.forward.submit(UnsafeRawBufferPointer(message), tag: 0, now: 0)
        while let due = link.nextReleaseTime, due <= scenario.timeLimit {
            var answered: UInt64?
            link.forward.releaseDue(now: due) { _, _ in
                MessageStamp.write(index: 0, sentAt: due, into: response)
                link.reverse.submit(UnsafeRawBufferPointer(response), tag: 0, now: due)
            }
            link.reverse.releaseDue(now: due) { _, _ in answered = answered ?? due }
            if let answered { return answered }
        }
        return nil
    }
}

/// The four endpoints of an RUDP request/response: the client's sender and its receiver for
/// the server's connection back, the server's receiver and its sender back.
private struct RoundTripConnections {
    let scenario: MessageRoundTripScenario
    let link: ImpairedLink
    var random: SeededRandom
    let clientSender: Sender
    var clientReceiver: Receiver?
    var serverReceiver: Receiver?
    var serverSender: Sender?
    var now: UInt64 = 0
    var requestWritten = false
    var requestArrived = false
    var responseWritten = false
    var answeredAt: UInt64?
    let datagram = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
    let message: UnsafeMutableRawBufferPointer
    let response: UnsafeMutableRawBufferPointer

    init(_ scenario: MessageRoundTripScenario) {
        self.scenario = scenario
        link = ImpairedLink(forward: scenario.forward, reverse: scenario.reverse, seed: scenario.seed)
        random = SeededRandom(seed: scenario.seed, stream: "round trip endpoints")
        clientSender = Sender(configuration: Self.configuration(name: "request", size: scenario.messageSize, random: &random),
                              now: 0)
        message = UnsafeMutableRawBufferPointer.allocate(byteCount: scenario.messageSize, alignment: 8)
        response = UnsafeMutableRawBufferPointer.allocate(byteCount: scenario.effectiveResponseSize, alignment: 8)
    }

    static func configuration(name: String, size: Int, random: inout SeededRandom) -> SenderConfiguration {
        var configuration = SenderConfiguration(
            mode: .selectiveRepeat, mss: MessageSenderDefaults.mss, window: 8, connectionID: UInt32(truncatingIfNeeded: random.next()),
            initialSequence: UInt32(truncatingIfNeeded: random.next()), fileName: Array(name.utf8), fileSize: UInt64(size))
        configuration.delivery = .unordered
        return configuration
    }

    mutating func execute() -> UInt64? {
        defer {
            datagram.deallocate()
            message.deallocate()
            response.deallocate()
        }
        var stalledIterations = 0
        while answeredAt == nil {
            pumpUntilQuiet()
            if answeredAt != nil { break }
            let deadlines = [clientSender.nextDeadline, clientReceiver?.nextDeadline, serverReceiver?.nextDeadline,
                             serverSender?.nextDeadline, link.nextReleaseTime]
            guard let next = deadlines.compactMap({ $0 }).min() else { return nil }
            if next <= now {
                stalledIterations += 1
                if stalledIterations > 100_000 { return nil }
            } else {
                stalledIterations = 0
                now = next
            }
            if now > scenario.timeLimit { return nil }
            clientSender.handleTimeout(now: now)
            clientReceiver?.handleTimeout(now: now)
            serverReceiver?.handleTimeout(now: now)
            serverSender?.handleTimeout(now: now)
        }
        return answeredAt
    }

    mutating func pumpUntilQuiet() {
        var active = true
        while active && answeredAt == nil {
            active = false
            writeApplicationData()
            if transmit(clientSender, onto: link.forward) { active = true }
            if let clientReceiver, transmit(clientReceiver, onto: link.forward) { active = true }
            if let serverReceiver, transmit(serverReceiver, onto: link.reverse) { active = true }
            if let serverSender, transmit(serverSender, onto: link.reverse) { active = true }
            link.forward.releaseDue(now: now) { bytes, _ in
                active = true
                arriveAtServer(bytes)
            }
            link.reverse.releaseDue(now: now) { bytes, _ in
                active = true
                arriveAtClient(bytes)
            }
        }
    }

    /// The applications: the client writes its request once connected, the server its response
    /// once the request arrived and its own connection is up.
    mutating func writeApplicationData() {
        if !requestWritten && clientSender.state == .transferring {
            requestWritten = writeOneMessage(message, to: clientSender)
        }
        if let serverSender, requestArrived && !responseWritten && serverSender.state == .transferring {
            responseWritten = writeOneMessage(response, to: serverSender)
        }
    }

    func writeOneMessage(_ message: UnsafeMutableRawBufferPointer, to sender: Sender) -> Bool {
        MessageStamp.write(index: 0, sentAt: now, into: message)
        guard sender.writeMessage(UnsafeRawBufferPointer(message)) else { return false }
        var hasher = SHA256()
        hasher.update(UnsafeRawBufferPointer(message))
        sender.finishWriting(sha256: hasher.finalize())
        return true
    }

    func transmit(_ endpoint: some ConnectionEndpoint, onto direction: ImpairmentPipeline) -> Bool {
        direction.submitAll(from: endpoint, through: datagram, now: now)
    }

    mutating func arriveAtServer(_ bytes: UnsafeRawBufferPointer) {
        guard let packet = try? PacketView.decode(bytes) else { return }
        if packet.header.type.isForSender {
            serverSender?.handle(packet: packet, now: now)
            if packet.header.type != .reset { return }
        }
        if serverReceiver == nil {
            guard packet.header.type == .syn, let receiver = accept(packet) else { return }
            serverReceiver = receiver
            // The server knows its client now: it opens its connection back at once.
            serverSender = Sender(configuration: Self.configuration(name: "response", size: scenario.effectiveResponseSize,
                                                                    random: &random), now: now)
            return
        }
        guard let serverReceiver else { return }
        serverReceiver.handle(packet: packet, now: now)
        if take(from: serverReceiver) { requestArrived = true }
    }

    mutating func arriveAtClient(_ bytes: UnsafeRawBufferPointer) {
        guard let packet = try? PacketView.decode(bytes) else { return }
        if packet.header.type.isForSender {
            clientSender.handle(packet: packet, now: now)
            if packet.header.type != .reset { return }
        }
        if clientReceiver == nil {
            guard packet.header.type == .syn else { return }
            clientReceiver = accept(packet)
            return
        }
        guard let clientReceiver else { return }
        clientReceiver.handle(packet: packet, now: now)
        if take(from: clientReceiver) { answeredAt = now }
    }

    mutating func accept(_ syn: PacketView) -> Receiver? {
        let configuration = ReceiverConfiguration(initialSequence: UInt32(truncatingIfNeeded: random.next()))
        guard let receiver = try? Receiver(syn: syn, configuration: configuration, now: now) else { return nil }
        receiver.accept(now: now)
        return receiver
    }

    /// Reads what `receiver` delivered and confirms its FIN; true if an intact message arrived.
    func take(from receiver: Receiver) -> Bool {
        var arrived = false
        receiver.readDelivered { payload in
            if MessageStamp.read(payload) != nil { arrived = true }
        }
        if case .finishing = receiver.state { receiver.confirmFinish(now: now) }
        return arrived
    }
}

extension PacketType {
    /// Packets a receiver sends, which only a sender handles (a reset goes either way).
    var isForSender: Bool {
        switch self {
        case .synAck, .ack, .finAck, .reset, .pathChallenge: true
        case .syn, .data, .fin, .pathResponse: false
        }
    }
}
