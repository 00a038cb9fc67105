import Impairment
import RUDP

/// The 0-RTT request/response of `MessageRoundTripScenario` (`.rudpZeroRTT`, `.rudpZeroRTTToken`):
/// the client's request rides in its SYN, a server `ReceiverEndpoint` offers it to the server
/// application at once, and the answer rides in the SYN-ACK, within three times what the SYN
/// brought or, with a token from an earlier connection, whatever its size.
///
/// With a token, an earlier exchange from another port of the client's host (untimed, over the
/// same link) gets one first; the timed exchange starts a second after it ended. Time runs from
/// the timed client's first packet to the response reaching its application.
struct ZeroRTTRoundTrip {
    let scenario: MessageRoundTripScenario
    let link: ImpairedLink
    let endpoint: ReceiverEndpoint
    var random: SeededRandom
    var now: UInt64 = 0
    let datagram = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
    /// The client's host; each connection comes from a port of its own, carried as the datagram's tag.
    static let clientHost: UInt32 = 0x0a4d_0002
    static let firstPort: UInt16 = 40_000

    init(_ scenario: MessageRoundTripScenario) {
        self.scenario = scenario
        link = ImpairedLink(forward: scenario.forward, reverse: scenario.reverse, seed: scenario.seed)
        random = SeededRandom(seed: scenario.seed, stream: "0-rtt round trip endpoints")
        endpoint = ReceiverEndpoint(configuration: ReceiverEndpointConfiguration(receiver: ReceiverConfiguration(initialSequence: 0)),
                                    random: SimulationRandom(SeededRandom(seed: scenario.seed, stream: "0-rtt server")).next)
    }

    mutating func execute() -> UInt64? {
        defer { datagram.deallocate() }
        var token: [UInt8] = []
        if scenario.transport == .rudpZeroRTTToken {
            let earlier = client(token: [])
            _ = exchange(earlier, port: Self.firstPort, until: scenario.timeLimit, stopAtResponse: false)
            // Without a token (the whole earlier exchange failed) the timed one is a first contact.
            token = earlier.addressToken ?? []
            now += 1_000_000_000
        }
        let start = now
        let timed = client(token: token)
        return exchange(timed, port: Self.firstPort + 1, until: start + scenario.timeLimit, stopAtResponse: true)
            .map { $0 - start }
    }

    /// A client whose request (one stamped message) is written before its SYN goes out.
    mutating func client(token: [UInt8]) -> Sender {
        var configuration = SenderConfiguration(
            mode: .selectiveRepeat, mss: MessageSenderDefaults.mss, window: 8, maxRetries: MessageSenderDefaults.maxRetries,
            connectionID: UInt32(truncatingIfNeeded: random.next()), initialSequence: UInt32(truncatingIfNeeded: random.next()),
            fileName: Array("request".utf8), fileSize: UInt64(scenario.messageSize))
        configuration.delivery = .unordered
        configuration.sendsEarlyData = true
        configuration.addressToken = token
        let sender = Sender(configuration: configuration, now: now)
        var request = [UInt8](repeating: 0, count: scenario.messageSize)
        request.withUnsafeMutableBytes { MessageStamp.write(index: 0, sentAt: now, into: $0) }
        _ = request.withUnsafeBytes { sender.writeMessage($0) }
        sender.finishWriting(sha256: SHA256.hash(request))
        return sender
    }

    /// Runs `client` from `port` until it holds an intact response (`stopAtResponse`) or ended,
    /// or `deadline`; returns when the response reached it.
    mutating func exchange(_ client: Sender, port: UInt16, until deadline: UInt64, stopAtResponse: Bool) -> UInt64? {
        var answeredAt: UInt64?
        var stalled = 0
        while now <= deadline {
            pump(client, port: port)
            if answeredAt == nil, let response = client.response,
               response.withUnsafeBytes({ MessageStamp.read($0) }) != nil {
                answeredAt = now
                if stopAtResponse { return answeredAt }
            }
            switch client.state {
            case .finished, .failed: return answeredAt
            default: break
            }
            guard let next = [client.nextDeadline, endpoint.nextDeadline, link.nextReleaseTime].compactMap({ $0 }).min() else {
                return answeredAt
            }
            if next <= now {
                stalled += 1
                if stalled > 100_000 { return answeredAt }
            } else {
                stalled = 0
                now = next
            }
            client.handleTimeout(now: now)
            endpoint.handleTimeout(now: now)
            serve()
        }
        return answeredAt
    }

    /// Moves datagrams at the current instant until nothing more happens at it.
    mutating func pump(_ client: Sender, port: UInt16) {
        var active = true
        while active {
            active = false
            while let length = client.pollTransmit(into: datagram, now: now) {
                link.forward.submit(UnsafeRawBufferPointer(rebasing: datagram[0..<length]), tag: UInt64(port), now: now)
                active = true
            }
            while let transmit = endpoint.pollTransmit(into: datagram, now: now) {
                link.reverse.submit(UnsafeRawBufferPointer(rebasing: datagram[0..<transmit.length]),
                                    tag: UInt64(transmit.destination.port), now: now)
                active = true
            }
            let endpoint = self.endpoint
            let now = self.now
            link.forward.releaseDue(now: now) { bytes, tag in
                active = true
                _ = endpoint.handle(datagram: bytes, from: PeerAddress(ipv4: Self.clientHost, port: UInt16(tag)), now: now)
            }
            serve()
            // Replies to an earlier connection's port reach only that (finished) client: dropped.
            link.reverse.releaseDue(now: now) { bytes, tag in
                active = true
                if tag == UInt64(port) { client.handle(datagram: bytes, now: now) }
            }
        }
    }

    /// The server application: answers each request in a SYN with a stamped response of the
    /// scenario's size, reads and confirms every transfer.
    func serve() {
        while let event = endpoint.pollEvent() {
            guard case .offered(let connection) = event else { continue }
            var response: [UInt8]?
            if let request = connection.earlyData, request.withUnsafeBytes({ MessageStamp.read($0) }) != nil {
                var answer = [UInt8](repeating: 0, count: scenario.effectiveResponseSize)
                answer.withUnsafeMutableBytes { MessageStamp.write(index: 0, sentAt: now, into: $0) }
                response = answer
            }
            endpoint.accept(connection.handle, response: response, now: now)
        }
        for connection in endpoint.connections {
            connection.receiver.readDelivered { _ in }
            if case .finishing = connection.receiver.state { endpoint.confirmFinish(connection.handle, now: now) }
        }
    }
}
