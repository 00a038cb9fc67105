import RUDP
import Testing

/// A receiving endpoint driven by hand: real senders' datagrams in, its datagrams and events out.
@Suite struct ReceiverEndpointTests {
    static let ms: UInt64 = 1_000_000
    let alice = PeerAddress(ipv4: 0x0a00_0001, port: 5_000)
    let mallory = PeerAddress(ipv4: 0x0a00_0066, port: 6_666)

    /// An endpoint with a fixed random sequence, so a run is the same each time.
    static func makeEndpoint(_ adjust: (inout ReceiverEndpointConfiguration) -> Void = { _ in }) -> ReceiverEndpoint {
        var configuration = ReceiverEndpointConfiguration()
        adjust(&configuration)
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        return ReceiverEndpoint(configuration: configuration) {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state
        }
    }

    static func makeSender(connectionID: UInt32 = 0xC0FFEE, size: UInt64 = 300, name: String = "f") -> Sender {
        Sender(configuration: SenderConfiguration(mode: .selectiveRepeat, mss: 100, window: 8, connectionID: connectionID,
                                                  initialSequence: 1_000, fileName: Array(name.utf8), fileSize: size),
               now: 0)
    }

    /// Every datagram `sender` has now.
    static func datagrams(of sender: Sender, now: UInt64) -> [[UInt8]] {
        var out: [[UInt8]] = []
        var buffer = [UInt8](repeating: 0, count: 2_048)
        while let datagram = buffer.withUnsafeMutableBytes({ raw in
            sender.pollTransmit(into: raw, now: now).map { Array(raw[0..<$0]) }
        }) {
            out.append(datagram)
        }
        return out
    }

    /// Every datagram the endpoint has now, with its destination.
    static func transmitted(by endpoint: ReceiverEndpoint, now: UInt64) -> [(bytes: [UInt8], to: PeerAddress)] {
        var out: [(bytes: [UInt8], to: PeerAddress)] = []
        var buffer = [UInt8](repeating: 0, count: 2_048)
        while let datagram = buffer.withUnsafeMutableBytes({ raw in
            endpoint.pollTransmit(into: raw, now: now).map { (Array(raw[0..<$0.length]), $0.destination) }
        }) {
            out.append(datagram)
        }
        return out
    }

    static func events(of endpoint: ReceiverEndpoint) -> [EndpointEvent] {
        var out: [EndpointEvent] = []
        while let event = endpoint.pollEvent() { out.append(event) }
        return out
    }

    static func type(_ bytes: [UInt8]) -> PacketType? {
        bytes.withUnsafeBytes { try? PacketView.decode($0).header.type }
    }

    @discardableResult
    static func deliver(_ bytes: [UInt8], to endpoint: ReceiverEndpoint, from peer: PeerAddress, now: UInt64) -> DatagramOutcome {
        bytes.withUnsafeBytes { endpoint.handle(datagram: $0, from: peer, now: now) }
    }

    /// Moves everything `sender` has at `now` to `endpoint` from `peer`, as an accepting and
    /// confirming application would drive it, and the endpoint's replies back (unless lost).
    static func exchange(_ sender: Sender, _ endpoint: ReceiverEndpoint, from peer: PeerAddress, now: UInt64,
                         losingReplies: Bool = false) {
        for datagram in datagrams(of: sender, now: now) { deliver(datagram, to: endpoint, from: peer, now: now) }
        for event in events(of: endpoint) {
            if case .offered(let connection) = event { endpoint.accept(connection.handle, now: now) }
        }
        for connection in endpoint.connections {
            if case .finishing = connection.receiver.state { endpoint.confirmFinish(connection.handle, now: now) }
        }
        for reply in transmitted(by: endpoint, now: now) where !losingReplies {
            reply.bytes.withUnsafeBytes { _ = sender.handle(datagram: $0, now: now) }
        }
    }

    @Test func aSenderThatEchoesOurTimestampIsValidatedAndItsDataDelivered() throws {
        let endpoint = Self.makeEndpoint()
        let sender = Self.makeSender()
        let syn = try #require(Self.datagrams(of: sender, now: 0).first)
        Self.deliver(syn, to: endpoint, from: alice, now: 0)
        guard case .offered(let connection) = Self.events(of: endpoint).first else {
            Issue.record("a SYN offers a connection")
            return
        }
        #expect(connection.receiver.offer.name == Array("f".utf8))
        endpoint.accept(connection.handle, now: 0)
        let synAck = Self.transmitted(by: endpoint, now: 1 * Self.ms)
        #expect(synAck.map { Self.type($0.bytes) } == [.synAck])
        #expect(synAck.first?.to == alice)
        synAck[0].bytes.withUnsafeBytes { _ = sender.handle(datagram: $0, now: 2 * Self.ms) }
        sender.write([UInt8](repeating: 7, count: 300).withUnsafeBytes { $0 })
        let data = Self.datagrams(of: sender, now: 2 * Self.ms)
        #expect(data.count == 3)
        var delivered = 0
        for (offset, datagram) in data.enumerated() {
            let outcome = Self.deliver(datagram, to: endpoint, from: alice, now: 3 * Self.ms)
            if offset == 0 {
                guard case .validated(let validated) = Self.events(of: endpoint).first else {
                    Issue.record("the first DATA echoing the SYN-ACK validates the sender")
                    return
                }
                #expect(validated === connection)
            }
            #expect(outcome.connection == connection.handle)
            delivered += outcome.inOrderPayload?.count ?? 0
        }
        #expect(delivered == 300)
        #expect(connection.isAddressValidated)
        #expect(endpoint.establishedCount == 1)
    }

    @Test func dataWithAGuessedEchoIsIgnoredAndValidatesNothing() throws {
        let endpoint = Self.makeEndpoint()
        let sender = Self.makeSender()
        Self.deliver(try #require(Self.datagrams(of: sender, now: 0).first), to: endpoint, from: alice, now: 0)
        guard case .offered(let connection) = Self.events(of: endpoint).first else { return }
        endpoint.accept(connection.handle, now: 0)
        _ = Self.transmitted(by: endpoint, now: 0)  // the SYN-ACK goes to alice; the forger never sees it
        for guess: UInt32 in [1, 2, 0xdead_beef, 1_000] {
            let header = PacketHeader(type: .data, connectionID: 0xC0FFEE, sequence: SequenceNumber(1_001),
                                      timestamp: 5, timestampEcho: guess)
            let forged = try PacketEncoder.encode(header, payload: [1, 2, 3])
            let outcome = Self.deliver(forged, to: endpoint, from: alice, now: Self.ms)
            #expect(outcome.inOrderPayload == nil)
        }
        #expect(Self.events(of: endpoint).isEmpty)
        #expect(!connection.isAddressValidated)
        #expect(connection.receiver.statistics.dataPacketsReceived == 0)
    }

    @Test func anUnvalidatedAddressGetsAtMostThreeTimesWhatItSent() throws {
        let endpoint = Self.makeEndpoint()
        let sender = Self.makeSender()
        let syn = try #require(Self.datagrams(of: sender, now: 0).first)
        Self.deliver(syn, to: endpoint, from: mallory, now: 0)
        guard case .offered(let connection) = Self.events(of: endpoint).first else { return }
        endpoint.fail(connection.handle, code: .unsafeName, message: String(repeating: "a very long reason ", count: 200), now: 0)
        let replies = Self.transmitted(by: endpoint, now: 0)
        #expect(replies.map { Self.type($0.bytes) } == [.reset])
        #expect(replies.reduce(0) { $0 + $1.bytes.count } <= 3 * syn.count)
        #expect(replies[0].bytes.count > 3 * syn.count - 40, "the message is cut to fit, not dropped")
    }

    @Test func packetsOfNoConnectionAreAnsweredWithAResetButAResetIsNot() throws {
        let endpoint = Self.makeEndpoint()
        let data = try PacketEncoder.encode(PacketHeader(type: .data, connectionID: 42, sequence: SequenceNumber(9),
                                                         timestamp: 3, timestampEcho: 77), payload: [0])
        Self.deliver(data, to: endpoint, from: alice, now: 0)
        let replies = Self.transmitted(by: endpoint, now: 0)
        #expect(replies.map { Self.type($0.bytes) } == [.reset])
        // DATA that echoes nothing is a first flight that overtook or lost its SYN: no RST.
        let firstFlight = try PacketEncoder.encode(PacketHeader(type: .data, connectionID: 43, sequence: SequenceNumber(9),
                                                                timestamp: 3), payload: [0])
        Self.deliver(firstFlight, to: endpoint, from: alice, now: 0)
        #expect(Self.transmitted(by: endpoint, now: 0).isEmpty)
        #expect(replies.allSatisfy { $0.bytes.count <= 3 * data.count && $0.to == alice })
        let reset = try PacketEncoder.encode(PacketHeader(type: .reset, connectionID: 42, timestamp: 3),
                                             payload: ResetPayload(code: .other, message: "x").encoded())
        Self.deliver(reset, to: endpoint, from: alice, now: 0)
        Self.deliver([1, 2, 3], to: endpoint, from: alice, now: 0)  // not even a packet
        #expect(Self.transmitted(by: endpoint, now: 0).isEmpty)
        #expect(endpoint.isEmpty)
    }

    @Test func aFinRetransmittedAfterTheConnectionWasForgottenIsConfirmedAgain() throws {
        let endpoint = Self.makeEndpoint()
        let sender = Self.makeSender(size: 0)
        var now: UInt64 = 0
        func exchange(losingReplies: Bool = false) {
            Self.exchange(sender, endpoint, from: alice, now: now, losingReplies: losingReplies)
            now += Self.ms
        }
        exchange()                 // SYN → SYN-ACK
        sender.finishWriting(sha256: SHA256.hash([]))
        exchange(losingReplies: true)  // FIN → FIN-ACK, lost
        #expect(sender.state == .closing)
        // The receiver lingers, then forgets the connection.
        now += 60_000 * Self.ms
        endpoint.handleTimeout(now: now)
        #expect(Self.events(of: endpoint).contains { if case .closed = $0 { true } else { false } })
        #expect(endpoint.isEmpty)
        sender.handleTimeout(now: now)
        let late = Self.datagrams(of: sender, now: now)
        #expect(late.map(Self.type) == [.fin])
        for datagram in late { Self.deliver(datagram, to: endpoint, from: alice, now: now) }
        let answers = Self.transmitted(by: endpoint, now: now)
        #expect(answers.map { Self.type($0.bytes) } == [.finAck])
        answers[0].bytes.withUnsafeBytes { _ = sender.handle(datagram: $0, now: now) }
        #expect(sender.state == .finished)
    }

    @Test func aFullEndpointTurnsNewSendersAwayAndKeepsItsTransfers() throws {
        let endpoint = Self.makeEndpoint { $0.maxConnections = 1 }
        let first = Self.makeSender(connectionID: 1)
        Self.deliver(Self.datagrams(of: first, now: 0)[0], to: endpoint, from: alice, now: 0)
        guard case .offered(let connection) = Self.events(of: endpoint).first else { return }
        endpoint.accept(connection.handle, now: 0)
        Self.transmitted(by: endpoint, now: 0)[0].bytes.withUnsafeBytes { _ = first.handle(datagram: $0, now: Self.ms) }
        first.write([UInt8](repeating: 1, count: 100).withUnsafeBytes { $0 })
        Self.deliver(Self.datagrams(of: first, now: Self.ms)[0], to: endpoint, from: alice, now: Self.ms)
        #expect(endpoint.establishedCount == 1)
        _ = Self.events(of: endpoint)
        let second = Self.makeSender(connectionID: 2)
        Self.deliver(Self.datagrams(of: second, now: 0)[0], to: endpoint, from: mallory, now: 2 * Self.ms)
        #expect(Self.events(of: endpoint).isEmpty, "no connection is opened beyond the quota")
        let replies = Self.transmitted(by: endpoint, now: 2 * Self.ms).filter { $0.to == mallory }
        #expect(replies.map { Self.type($0.bytes) } == [.reset])
        let reason = try replies[0].bytes.withUnsafeBytes { try ResetPayload(decoding: try PacketView.decode($0).payload) }
        #expect(reason.code == .busy)
        #expect(connection.isOpen)
    }

    @Test("an endpoint that refuses new transfers (a --once receiver lingering) turns a second sender away and keeps its own")
    func aLingeringOnceReceiverTakesNoSecondTransfer() throws {
        let endpoint = Self.makeEndpoint()
        let first = Self.makeSender(connectionID: 1)
        Self.deliver(Self.datagrams(of: first, now: 0)[0], to: endpoint, from: alice, now: 0)
        guard case .offered(let connection) = Self.events(of: endpoint).first else { return }
        endpoint.accept(connection.handle, now: 0)
        endpoint.refusesNewTransfers = "the receiver (--once) has had its one transfer and is about to exit"
        let second = Self.makeSender(connectionID: 2)
        Self.deliver(Self.datagrams(of: second, now: Self.ms)[0], to: endpoint, from: mallory, now: Self.ms)
        #expect(Self.events(of: endpoint).isEmpty, "no second connection is offered")
        let replies = Self.transmitted(by: endpoint, now: Self.ms)
        #expect(replies.filter { $0.to == alice }.map { Self.type($0.bytes) } == [.synAck], "the first goes on")
        let refusals = replies.filter { $0.to == mallory }
        #expect(refusals.map { Self.type($0.bytes) } == [.reset])
        let reason = try refusals[0].bytes.withUnsafeBytes { try ResetPayload(decoding: try PacketView.decode($0).payload) }
        #expect(reason.code == .busy)
        #expect(reason.message == "the receiver (--once) has had its one transfer and is about to exit")
        #expect(connection.isOpen)
    }

    @Test("a handshake whose proof packets are lost for 7 s is still known: the sender announced it keeps trying that long",
          arguments: [true, false])
    func aHalfOpenConnectionWaitsAsLongAsItsSenderRetries(followsSender: Bool) throws {
        let endpoint = Self.makeEndpoint { $0.receiver.idleTimeoutFollowsSender = followsSender }
        let sender = Self.makeSender()
        Self.deliver(Self.datagrams(of: sender, now: 0)[0], to: endpoint, from: alice, now: 0)
        guard case .offered(let connection) = Self.events(of: endpoint).first else { return }
        endpoint.accept(connection.handle, now: 0)
        Self.transmitted(by: endpoint, now: 0)[0].bytes.withUnsafeBytes { _ = sender.handle(datagram: $0, now: Self.ms) }
        sender.write([UInt8](repeating: 1, count: 300).withUnsafeBytes { $0 })
        _ = Self.datagrams(of: sender, now: Self.ms)  // the proof and its retransmissions are lost …
        endpoint.handleTimeout(now: 7_000 * Self.ms)
        let closed = Self.events(of: endpoint).contains { if case .closed = $0 { true } else { false } }
        if followsSender {
            // (10 retries + 2) × 4 s: the receiver's patience with this sender, in the handshake too.
            #expect(!closed && connection.isOpen, "forgotten after 7 s of a 48 s budget")
            sender.handleTimeout(now: 7_000 * Self.ms)
            for datagram in Self.datagrams(of: sender, now: 7_000 * Self.ms) {
                Self.deliver(datagram, to: endpoint, from: alice, now: 7_001 * Self.ms)
            }
            #expect(connection.isAddressValidated, "… and a retransmission at 7 s still proves the address")
        } else {
            // A receiver told its idle timeout keeps the 5 s handshake bound.
            #expect(closed && !connection.isOpen)
        }
    }

    @Test func halfOpenConnectionsGiveWayOldestFirstAndExpire() throws {
        let endpoint = Self.makeEndpoint {
            $0.maxHalfOpenConnections = 2
            $0.halfOpenTimeout = 100 * Self.ms
            $0.receiver.idleTimeoutFollowsSender = false  // else the senders' announced budgets set the lifetime
        }
        var offered: [InboundConnection] = []
        for id: UInt32 in 1...3 {
            Self.deliver(Self.datagrams(of: Self.makeSender(connectionID: id), now: 0)[0], to: endpoint, from: mallory,
                         now: UInt64(id) * Self.ms)
            for event in Self.events(of: endpoint) {
                switch event {
                case .offered(let connection):
                    endpoint.accept(connection.handle, now: 0)
                    offered.append(connection)
                case .closed(let connection):
                    #expect(connection === offered.first, "the oldest handshake gives way")
                default:
                    Issue.record("unexpected event \(event)")
                }
            }
        }
        #expect(offered.map(\.isOpen) == [false, true, true])
        #expect(endpoint.nextDeadline.map { $0 <= 102 * Self.ms } == true)
        endpoint.handleTimeout(now: 103 * Self.ms)
        let closed = Self.events(of: endpoint).count { if case .closed = $0 { true } else { false } }
        #expect(closed == 2)
        #expect(endpoint.isEmpty)
        // A freed handle is reused by the next connection.
        Self.deliver(Self.datagrams(of: Self.makeSender(connectionID: 9), now: 0)[0], to: endpoint, from: alice, now: 200 * Self.ms)
        guard case .offered(let reused) = Self.events(of: endpoint).first else { return }
        #expect(offered.contains { $0.handle == reused.handle })
    }
}

/// A sender that sent its FIN behind its data and heard none of the answers resends data long
/// after the receiver forgot the connection: it is confirmed, not reset.
@Suite struct LateDataAfterAnEarlyFinTests {
    @Test func dataResentAfterTheConnectionWasForgottenIsAnsweredWithTheFinAck() throws {
        let endpoint = ReceiverEndpointTests.makeEndpoint()
        let sender = ReceiverEndpointTests.makeSender(size: 300)
        let alice = PeerAddress(ipv4: 0x0a00_0001, port: 5_000)
        var now: UInt64 = 0
        func exchange(losingReplies: Bool = false) {
            ReceiverEndpointTests.exchange(sender, endpoint, from: alice, now: now, losingReplies: losingReplies)
            now += ReceiverEndpointTests.ms
        }
        exchange()  // SYN → SYN-ACK
        let file = [UInt8](repeating: 9, count: 300)
        _ = file.withUnsafeBytes { sender.write($0) }
        sender.finishWriting(sha256: SHA256.hash(file))
        exchange(losingReplies: true)  // three DATA and the FIN; every ACK and the FIN-ACK lost
        #expect(sender.state == .transferring)
        now += 60_000 * ReceiverEndpointTests.ms
        endpoint.handleTimeout(now: now)
        #expect(endpoint.isEmpty, "the receiver forgot the connection")
        sender.handleTimeout(now: now)
        let late = ReceiverEndpointTests.datagrams(of: sender, now: now)
        #expect(late.map(ReceiverEndpointTests.type).contains(.data))
        // The data alone (a late FIN is confirmed too: the test above).
        for datagram in late where ReceiverEndpointTests.type(datagram) == .data {
            ReceiverEndpointTests.deliver(datagram, to: endpoint, from: alice, now: now)
        }
        let answers = ReceiverEndpointTests.transmitted(by: endpoint, now: now)
        #expect(!answers.isEmpty && answers.allSatisfy { ReceiverEndpointTests.type($0.bytes) == .finAck })
        answers.first?.bytes.withUnsafeBytes { _ = sender.handle(datagram: $0, now: now) }
        #expect(sender.state == .finished)
    }
}
