import RUDP

/// A client's `Sender` and a server's `ReceiverEndpoint` on a virtual clock, `oneWay` apart in
/// each direction, with a server application that answers each SYN's early data at once: the
/// 0-RTT request/response, driven by hand so that a test reads as its scenario.
final class ZeroRTTLink {
    static let ms: UInt64 = 1_000_000
    let endpoint: ReceiverEndpoint
    let oneWay: UInt64
    private(set) var now: UInt64 = 0
    /// The server application: its answer to a connection's early data (nil: none).
    var answer: ([UInt8]) -> [UInt8]? = { _ in nil }
    /// Datagrams the client sends that the link loses, by their order on the wire (1-based).
    var lostToServer: Set<Int> = []
    /// Datagrams the server sends that the link loses, likewise.
    var lostToClient: Set<Int> = []

    /// What the server application saw of each connection's early data, and when.
    private(set) var earlyData: [(time: UInt64, bytes: [UInt8], validatedYet: Bool, connection: InboundConnection)] = []
    /// The stream the server application read, connection by connection, in order.
    private(set) var delivered: [UInt8] = []
    /// Bytes that crossed the link each way before the server saw the client's address validated.
    private(set) var bytesFromClientBeforeValidation = 0
    private(set) var bytesToClientBeforeValidation = 0
    private(set) var validatedAt: UInt64?
    /// When the client's sender first held a response.
    private(set) var respondedAt: UInt64?
    /// Every datagram a client sent, as an attacker on the path would record them.
    private(set) var recorded: [[UInt8]] = []

    private var inFlight: [(due: UInt64, bytes: [UInt8], toServer: Bool, client: PeerAddress)] = []
    private var sentToServer = 0
    private var sentToClient = 0
    private var buffer = [UInt8](repeating: 0, count: 1 << 16)

    init(oneWay: UInt64 = 20 * ZeroRTTLink.ms, endpoint: ReceiverEndpoint = ZeroRTTLink.makeEndpoint()) {
        self.oneWay = oneWay
        self.endpoint = endpoint
    }

    /// An endpoint with a fixed random sequence, so a run is the same each time.
    static func makeEndpoint(_ adjust: (inout ReceiverEndpointConfiguration) -> Void = { _ in }) -> ReceiverEndpoint {
        ReceiverEndpointTests.makeEndpoint(adjust)
    }

    /// A client sender whose first packet, `request`, rides in its SYN.
    static func client(request: [UInt8], token: [UInt8]? = [], connectionID: UInt32 = 0xA11CE,
                       mode: TransferMode = .selectiveRepeat) -> Sender {
        var configuration = SenderConfiguration(mode: mode, mss: 1_200, window: 8, connectionID: connectionID,
                                                initialSequence: UInt32.max - 1, fileName: Array("request".utf8),
                                                fileSize: UInt64(request.count))
        configuration.sendsEarlyData = true
        configuration.addressToken = token
        let sender = Sender(configuration: configuration, now: 0)
        _ = request.withUnsafeBytes { sender.writeMessage($0) }
        sender.finishWriting(sha256: SHA256.hash(request))
        return sender
    }

    /// Runs `client` from `address` from now until it finished or failed and the link is empty,
    /// or for `limit` of virtual time; returns its state.
    @discardableResult
    func run(_ client: Sender, from address: PeerAddress, for limit: UInt64 = 30_000 * ZeroRTTLink.ms) -> SenderState {
        let start = now
        respondedAt = nil
        validatedAt = nil
        bytesFromClientBeforeValidation = 0
        bytesToClientBeforeValidation = 0
        while now <= start + limit {
            transmit(client, from: address)
            if respondedAt == nil && client.response != nil { respondedAt = now - start }
            let clientDone: Bool = switch client.state {
            case .finished, .failed: true
            default: false
            }
            if clientDone && inFlight.isEmpty { break }
            let deadlines = [inFlight.map(\.due).min(), client.nextDeadline, endpoint.nextDeadline]
            guard let next = deadlines.compactMap({ $0 }).min() else { break }
            now = max(now, next)
            for datagram in dueDatagrams() {
                if datagram.toServer {
                    // As rudp-recv does: an in-order payload handed back directly comes before the rest.
                    let direct = datagram.bytes.withUnsafeBytes {
                        endpoint.handle(datagram: $0, from: datagram.client, now: now).inOrderPayload.map { Array($0) }
                    }
                    delivered += direct ?? []
                    serveApplication()
                } else {
                    datagram.bytes.withUnsafeBytes { _ = client.handle(datagram: $0, now: now) }
                }
            }
            client.handleTimeout(now: now)
            endpoint.handleTimeout(now: now)
            serveApplication()
        }
        return client.state
    }

    /// Lets the endpoint's timers run until `time` (half-open connections expire, lingering ones end).
    func advance(to time: UInt64) {
        now = max(now, time)
        endpoint.handleTimeout(now: now)
        serveApplication()
        _ = ReceiverEndpointTests.transmitted(by: endpoint, now: now)
    }

    /// A datagram sent to the server as if from `address` (a replay, a spoof) at `time`; what
    /// the endpoint answers goes to `address`, which ignores it. Returns the bytes answered.
    @discardableResult
    func inject(_ bytes: [UInt8], from address: PeerAddress, at time: UInt64) -> Int {
        advance(to: time)
        bytes.withUnsafeBytes { _ = endpoint.handle(datagram: $0, from: address, now: now) }
        serveApplication()
        return ReceiverEndpointTests.transmitted(by: endpoint, now: now).reduce(0) { $0 + $1.bytes.count }
    }

    private func transmit(_ client: Sender, from address: PeerAddress) {
        while let length = buffer.withUnsafeMutableBytes({ client.pollTransmit(into: $0, now: now) }) {
            sentToServer += 1
            recorded.append(Array(buffer[0..<length]))
            if validatedAt == nil { bytesFromClientBeforeValidation += length }
            guard !lostToServer.contains(sentToServer) else { continue }
            inFlight.append((now + oneWay, Array(buffer[0..<length]), true, address))
        }
        while let transmit = buffer.withUnsafeMutableBytes({ endpoint.pollTransmit(into: $0, now: now) }) {
            sentToClient += 1
            if validatedAt == nil { bytesToClientBeforeValidation += transmit.length }
            guard !lostToClient.contains(sentToClient) else { continue }
            inFlight.append((now + oneWay, Array(buffer[0..<transmit.length]), false, transmit.destination))
        }
    }

    private func dueDatagrams() -> [(due: UInt64, bytes: [UInt8], toServer: Bool, client: PeerAddress)] {
        let due = inFlight.filter { $0.due <= now }
        inFlight.removeAll { $0.due <= now }
        return due
    }

    /// The server application: answers early data as soon as it is offered, reads the stream,
    /// confirms every finished transfer.
    private func serveApplication() {
        while let event = endpoint.pollEvent() {
            switch event {
            case .offered(let connection):
                var response: [UInt8]?
                if let early = connection.earlyData {
                    earlyData.append((now, early, connection.isAddressValidated, connection))
                    response = answer(early)
                }
                endpoint.accept(connection.handle, response: response, now: now)
            case .validated:
                if validatedAt == nil { validatedAt = now }
            case .closed:
                continue
            }
        }
        for connection in endpoint.connections {
            connection.receiver.readDelivered { delivered += $0 }
            if case .finishing = connection.receiver.state { endpoint.confirmFinish(connection.handle, now: now) }
        }
    }
}
