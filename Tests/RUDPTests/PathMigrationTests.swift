import Impairment
import RUDP
import RUDPSim
import Testing

/// Connections that survive a change of the sender's address (a NAT rebinding) through path
/// validation, and attackers who cannot use it to take a transfer.
@Suite struct PathMigrationTests {
    static let ms: UInt64 = 1_000_000
    let alice = PeerAddress(ipv4: 0x0a00_0001, port: 5_000)
    /// Alice's address after her NAT rebound.
    let aliceRebound = PeerAddress(ipv4: 0x0a00_0001, port: 5_001)
    let mallory = PeerAddress(ipv4: 0x0a00_0066, port: 6_666)

    typealias Harness = ReceiverEndpointTests

    /// A sender behind a NAT and an endpoint, exchanging at once on a virtual clock: the NAT
    /// passes to the sender only what is sent to its current address.
    final class NattedPair {
        let sender: Sender
        let endpoint = Harness.makeEndpoint()
        var address: PeerAddress
        var now: UInt64 = 0
        /// Datagrams the endpoint sent to addresses the sender no longer has, by type.
        var lostToOldAddresses: [PacketType] = []
        var delivered: [UInt8] = []
        /// The latest DATA packet the sender sent (for attackers who copy one).
        var lastData: [UInt8] = []
        let file: [UInt8]
        private var written = 0

        init(address: PeerAddress, size: Int, answersPathChallenges: Bool = true) {
            self.address = address
            file = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
            var configuration = SenderConfiguration(mode: .selectiveRepeat, mss: 100, window: 8, connectionID: 0xC0FFEE,
                                                    initialSequence: 1_000, fileName: Array("f".utf8), fileSize: UInt64(size))
            configuration.answersPathChallenges = answersPathChallenges
            sender = Sender(configuration: configuration, now: 0)
        }

        /// One exchange at `now`, then the clock moves on by `step`.
        func step(_ step: UInt64 = 10 * PathMigrationTests.ms) {
            sender.handleTimeout(now: now)
            endpoint.handleTimeout(now: now)
            if written < file.count {
                written += file[written...].withUnsafeBytes { sender.write($0) }
                if written == file.count { sender.finishWriting(sha256: SHA256.hash(file)) }
            }
            for datagram in Harness.datagrams(of: sender, now: now) {
                if Harness.type(datagram) == .data { lastData = datagram }
                let outcome = Harness.deliver(datagram, to: endpoint, from: address, now: now)
                if let payload = outcome.inOrderPayload { delivered += Array(payload) }
                if let handle = outcome.connection {
                    endpoint.connection(handle).receiver.readDelivered { delivered += Array($0) }
                }
            }
            for event in Harness.events(of: endpoint) {
                if case .offered(let connection) = event { endpoint.accept(connection.handle, now: now) }
            }
            for connection in endpoint.connections {
                if case .finishing = connection.receiver.state, delivered == file {
                    endpoint.confirmFinish(connection.handle, now: now)
                }
            }
            for reply in Harness.transmitted(by: endpoint, now: now) {
                guard reply.to == address else {
                    if let type = Harness.type(reply.bytes) { lostToOldAddresses.append(type) }
                    continue
                }
                reply.bytes.withUnsafeBytes { _ = sender.handle(datagram: $0, now: now) }
            }
            now += step
        }

        func run(until done: () -> Bool, limit: Int = 2_000) {
            for _ in 0..<limit where !done() { step() }
        }

        var connection: InboundConnection? { endpoint.connections.first { $0.key.connectionID == 0xC0FFEE } }
    }

    @Test func aRebindingMidTransferIsValidatedAndTheTransferContinues() {
        let pair = NattedPair(address: alice, size: 20_000)
        pair.run { pair.delivered.count >= 5_000 }
        #expect(pair.connection?.isAddressValidated == true)
        pair.address = aliceRebound
        pair.run { pair.sender.state == .finished }
        #expect(pair.sender.state == .finished)
        #expect(pair.delivered == pair.file)
        #expect(pair.connection?.peer == aliceRebound)
        #expect(pair.connection?.migrations == 1)
        #expect(pair.sender.statistics.pathChallengesAnswered >= 1)
    }

    @Test func theNewAddressHearsCopiesButTheConnectionStaysUntilItEchoes() throws {
        let pair = NattedPair(address: alice, size: 20_000)
        pair.run { pair.delivered.count >= 5_000 }
        pair.address = aliceRebound
        let connection = try #require(pair.connection)
        // The sender's packets arrive from the new address; nothing has answered a challenge yet.
        Harness.deliver(pair.lastData, to: pair.endpoint, from: aliceRebound, now: pair.now)
        #expect(connection.peer == alice)
        let replies = Harness.transmitted(by: pair.endpoint, now: pair.now)
        let challenges = replies.filter { Harness.type($0.bytes) == .pathChallenge }
        #expect(challenges.count == 1)
        #expect(challenges.first?.to == aliceRebound)
        let toValidated = replies.filter { $0.to == alice }.map(\.bytes)
        let copies = replies.filter { $0.to == aliceRebound && Harness.type($0.bytes) != .pathChallenge }.map(\.bytes)
        #expect(!toValidated.isEmpty, "acknowledgements keep going to the validated address")
        #expect(!copies.isEmpty && copies.allSatisfy(toValidated.contains),
                "and copies of them to the new one, so a peer that moved is not left without any")
        // A packet from the old address again (a late one, or the peer never moved) ends the copies.
        Harness.deliver(pair.lastData, to: pair.endpoint, from: alice, now: pair.now)
        let after = Harness.transmitted(by: pair.endpoint, now: pair.now)
        #expect(!after.isEmpty && after.allSatisfy { $0.to == alice })
    }

    @Test func aSpoofedPacketFromAnotherAddressNeverRedirectsTheTransfer() throws {
        let pair = NattedPair(address: alice, size: 20_000)
        pair.run { pair.delivered.count >= 5_000 }
        let connection = try #require(pair.connection)
        // Mallory knows the connection ID and a sequence number in the window (she copies one of
        // Alice's packets), but cannot receive at the address she claims.
        Harness.deliver(pair.lastData, to: pair.endpoint, from: mallory, now: pair.now)
        let answered = Harness.transmitted(by: pair.endpoint, now: pair.now)
        let toMallory = answered.filter { $0.to == mallory }
        let challenge = try #require(toMallory.first { Harness.type($0.bytes) == .pathChallenge })
        // She gets a challenge and a copy of Alice's acknowledgement, no more than three times
        // what she sent; Alice still gets hers.
        #expect(toMallory.reduce(0) { $0 + $1.bytes.count } <= 3 * pair.lastData.count)
        #expect(answered.contains { $0.to == alice && Harness.type($0.bytes) == .ack })
        // A guessed answer, from her own address or from another, moves nothing.
        for guess in [UInt64(0), 1, 0xDEAD_BEEF] {
            var header = PacketHeader(type: .pathResponse, connectionID: 0xC0FFEE, timestamp: 1)
            header.sequence = SequenceNumber(1_001)
            let response = try PacketEncoder.encode(header, payload: PathPayload(data: guess).encoded())
            Harness.deliver(response, to: pair.endpoint, from: mallory, now: pair.now)
        }
        // The echo of the real challenge from an address it was not sent to moves nothing either.
        let real = try challenge.bytes.withUnsafeBytes { try PathPayload(decoding: try PacketView.decode($0).payload) }
        let misplaced = try PacketEncoder.encode(PacketHeader(type: .pathResponse, connectionID: 0xC0FFEE, timestamp: 1),
                                                 payload: real.encoded())
        Harness.deliver(misplaced, to: pair.endpoint, from: aliceRebound, now: pair.now)
        #expect(connection.peer == alice)
        #expect(connection.migrations == 0)
        // A packet of the connection far outside its window, from yet another address: dropped
        // unanswered (neither challenged nor reset, which would end a transfer that merely moved).
        var stray = PacketHeader(type: .data, connectionID: 0xC0FFEE, sequence: SequenceNumber(0x8000_0000),
                                 timestamp: 1, timestampEcho: 1)
        stray.flags = 0
        Harness.deliver(try PacketEncoder.encode(stray, payload: [1]), to: pair.endpoint,
                        from: PeerAddress(ipv4: 0x0a00_0067, port: 7_777), now: pair.now)
        #expect(Harness.transmitted(by: pair.endpoint, now: pair.now).allSatisfy { $0.to != PeerAddress(ipv4: 0x0a00_0067, port: 7_777) })
        pair.run { pair.sender.state == .finished }
        #expect(pair.delivered == pair.file)
        #expect(connection.peer == alice)
        #expect(pair.lostToOldAddresses.isEmpty, "Alice's next packet ended the copies to Mallory")
    }

    @Test func aRebindDuringTheHandshakeIsValidatedBeforeAnyDataIsTaken() throws {
        let pair = NattedPair(address: alice, size: 3_000)
        // SYN and SYN-ACK go through at Alice's first address; the first DATA already leaves from another.
        pair.sender.write([UInt8](pair.file[0..<100]).withUnsafeBytes { $0 })
        for datagram in Harness.datagrams(of: pair.sender, now: 0) {
            Harness.deliver(datagram, to: pair.endpoint, from: alice, now: 0)
        }
        for event in Harness.events(of: pair.endpoint) {
            if case .offered(let offered) = event { pair.endpoint.accept(offered.handle, now: 0) }
        }
        for reply in Harness.transmitted(by: pair.endpoint, now: 0) {
            reply.bytes.withUnsafeBytes { _ = pair.sender.handle(datagram: $0, now: 0) }
        }
        #expect(pair.sender.state == .transferring)
        let connection = try #require(pair.connection)
        #expect(!connection.isAddressValidated)
        pair.address = aliceRebound
        let file = pair.file
        var produced = 100
        pair.now = Self.ms
        pair.step()  // DATA from the new address: a challenge, no data taken, no RST
        #expect(pair.delivered.isEmpty)
        #expect(connection.peer == alice)
        pair.step()  // the echo of the challenge
        #expect(connection.migrations == 1, "the sender echoed the challenge at once")
        produced += file[produced...].withUnsafeBytes { pair.sender.write($0) }
        pair.run { pair.sender.state == .finished }
        #expect(pair.sender.state == .finished)
        #expect(pair.delivered == file)
        #expect(connection.peer == aliceRebound)
    }

    @Test func aNewAddressIsNeverSentMoreThanThreeTimesWhatItSent() throws {
        let pair = NattedPair(address: alice, size: 20_000)
        pair.run { pair.delivered.count >= 5_000 }
        // The smallest packet that starts a validation: a keepalive-sized ACK of the connection.
        var header = PacketHeader(type: .ack, connectionID: 0xC0FFEE, timestamp: 1)
        header.sequence = pair.lastData.withUnsafeBytes { (try? PacketView.decode($0))!.header.sequence }
        let small = try PacketEncoder.encode(header)
        let victim = PeerAddress(ipv4: 0xc000_0201, port: 53)
        var received = 0, sent = 0
        for round in 0..<50 {
            let now = pair.now + UInt64(round) * 200 * Self.ms
            Harness.deliver(small, to: pair.endpoint, from: victim, now: now)
            received += small.count
            sent += Harness.transmitted(by: pair.endpoint, now: now).filter { $0.to == victim }.reduce(0) { $0 + $1.bytes.count }
            #expect(sent <= 3 * received)
        }
        #expect(sent > 0, "the victim's address was challenged")
        #expect(pair.connection?.peer == alice)
    }

    @Test func aSenderThatDoesNotAnswerChallengesIsNeverMigrated() throws {
        let pair = NattedPair(address: alice, size: 20_000, answersPathChallenges: false)
        pair.run { pair.delivered.count >= 5_000 }
        let connection = try #require(pair.connection)
        #expect(!connection.isMigratable)
        pair.address = aliceRebound
        pair.run { if case .failed = pair.sender.state { true } else { false } }
        #expect(!pair.lostToOldAddresses.contains(.pathChallenge))
        #expect(connection.migrations == 0)
        #expect(pair.delivered.count < pair.file.count)
    }

    /// The link on the simulator (20 ms one-way delay, 2 % loss each way, 40 Mbit/s), rebinding four
    /// times as often as it asks (every 500 ms, so a short transfer sees several): no gap between
    /// acknowledgements is longer than the retransmission timeout in force when it began, since
    /// the new address hears the acknowledgements while it proves itself.
    @Test func rebindingEveryHalfSecondOnALossyLinkNeverStallsLongerThanOneTimeout() {
        var scenario = TransferScenario(mode: .selectiveRepeat, size: 4_000_000, seed: 14)
        scenario.mss = 1_200
        // A window the 2 % loss never closes: a sender held back by flow control would send
        // nothing from its new address until a timeout told it to.
        scenario.window = 2_048
        scenario.congestionControl = .bbr
        var link = ImpairmentConfig()
        link.loss = 0.02
        link.delay = 20 * Self.ms
        link.rate = 40_000_000
        link.queueLimit = 100
        scenario.impairBoth(link)
        scenario.rebindInterval = 500 * Self.ms
        var acknowledgedAt: [(time: UInt64, timeout: UInt64)] = []
        var timeout = RetransmissionTimer.defaultInitial
        let outcome = TransferSimulation.run(scenario) { time, event in
            switch event {
            case .acknowledged: acknowledgedAt.append((time, timeout))
            case .rtoChanged(let rto, _): timeout = rto
            default: break
            }
        }
        #expect(outcome.delivered, "\(scenario.reproduction)")
        let rebinds = Int((outcome.senderEndTime ?? 0) / scenario.rebindInterval!)
        #expect(outcome.migrations >= 1 && outcome.migrations <= rebinds + 1)
        for (before, after) in zip(acknowledgedAt, acknowledgedAt.dropFirst()) {
            #expect(after.time - before.time <= before.timeout,
                    "a stall of \((after.time - before.time) / Self.ms) ms at \(before.time / Self.ms) ms, RTO \(before.timeout / Self.ms) ms")
        }
    }
}
