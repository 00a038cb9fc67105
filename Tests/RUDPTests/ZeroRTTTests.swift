import RUDP
import Testing

/// 0-RTT request/response: the request rides in the SYN, the answer in the SYN-ACK, so the
/// exchange takes one round trip; safe because an unvalidated address is never sent more than
/// three times what it sent, unless it presents a token this endpoint handed it earlier.
@Suite struct ZeroRTTTests {
    static let ms = ZeroRTTLink.ms
    let alice = PeerAddress(ipv4: 0x0a00_0001, port: 5_000)
    let aliceLater = PeerAddress(ipv4: 0x0a00_0001, port: 5_001)
    let bob = PeerAddress(ipv4: 0x0a00_0002, port: 5_000)

    static let request = Array("GET /status".utf8) + [UInt8](repeating: 0x2e, count: 89)  // 100 bytes
    static func response(_ size: Int) -> [UInt8] { (0..<size).map { UInt8(truncatingIfNeeded: $0 * 7) } }

    /// Alice's first contact, asking for a token; returns the token she got.
    func firstContact(on link: ZeroRTTLink) throws -> [UInt8] {
        let client = ZeroRTTLink.client(request: Self.request, token: [])
        #expect(link.run(client, from: alice) == .finished)
        return try #require(client.addressToken, "a sender that asked for a token gets one in the SYN-ACK")
    }

    @Test func aRequestInTheSynIsAnsweredInTheSynAckWithinOneRoundTrip() {
        let link = ZeroRTTLink()
        link.answer = { _ in Self.response(100) }
        let client = ZeroRTTLink.client(request: Self.request)
        #expect(link.run(client, from: alice) == .finished)
        #expect(client.response == Self.response(100))
        #expect(link.respondedAt == 40 * Self.ms, "one round trip of 2 × 20 ms")
        // The server application had the request at the SYN's arrival, before the proof: replayable.
        #expect(link.earlyData.map(\.time) == [20 * Self.ms])
        #expect(link.earlyData.first?.bytes == Self.request)
        #expect(link.earlyData.first?.validatedYet == false)
        // The stream holds the request once: the SYN's copy, never resent as DATA.
        #expect(link.delivered == Self.request)
        #expect(client.statistics.dataPacketsSent == 0)
        #expect(client.statistics.earlyDataBytesTaken == 100)
        #expect(link.bytesToClientBeforeValidation <= 3 * link.bytesFromClientBeforeValidation)
    }

    @Test func anAnswerOverThreeTimesWhatTheClientSentWaitsOneRoundTripForItsFin() {
        let link = ZeroRTTLink()
        link.answer = { _ in Self.response(1_000) }
        let client = ZeroRTTLink.client(request: Self.request, token: nil)
        #expect(link.run(client, from: alice) == .finished)
        #expect(client.response == Self.response(1_000), "it came in the FIN-ACK")
        #expect(link.respondedAt == 80 * Self.ms, "two round trips: the FIN proves the address first")
        #expect(link.validatedAt == 60 * Self.ms)
        #expect(link.bytesToClientBeforeValidation <= 3 * link.bytesFromClientBeforeValidation,
                "\(link.bytesToClientBeforeValidation) bytes sent for \(link.bytesFromClientBeforeValidation) received")
        #expect(link.delivered == Self.request)
    }

    @Test func aTokenFromAnEarlierConnectionLiftsTheLimitForTheSameHost() throws {
        let link = ZeroRTTLink()
        let token = try firstContact(on: link)
        link.answer = { _ in Self.response(1_000) }
        let client = ZeroRTTLink.client(request: Self.request, token: token, connectionID: 0xB0B)
        #expect(link.run(client, from: aliceLater) == .finished, "a new port of the same host")
        #expect(link.earlyData.last?.connection.addressToken == .accepted)
        #expect(client.response == Self.response(1_000))
        #expect(link.respondedAt == 40 * Self.ms, "the large answer too within one round trip")
        #expect(link.bytesToClientBeforeValidation > 3 * link.bytesFromClientBeforeValidation)
        #expect(client.addressToken != nil && client.addressToken != token, "a fresh token for the next time")
    }

    @Test func aTokenIsTakenOnceSoAReplayedSynDoesNotLiftTheLimitAgain() throws {
        let link = ZeroRTTLink()
        let token = try firstContact(on: link)
        link.answer = { _ in Self.response(1_000) }
        link.run(ZeroRTTLink.client(request: Self.request, token: token, connectionID: 0xB0B), from: aliceLater)
        #expect(link.earlyData.last?.connection.addressToken == .accepted)
        let again = ZeroRTTLink.client(request: Self.request, token: token, connectionID: 0xB0C)
        #expect(link.run(again, from: aliceLater) == .finished)
        #expect(link.earlyData.last?.connection.addressToken == .alreadyUsed)
        #expect(link.respondedAt == 80 * Self.ms, "without a valid token the large answer waits a round trip")
    }

    @Test func aForgedTokenIsRefusedAndCostsOneRoundTrip() throws {
        let link = ZeroRTTLink()
        var token = try firstContact(on: link)
        token[token.count - 1] ^= 0x01
        link.answer = { _ in Self.response(1_000) }
        let client = ZeroRTTLink.client(request: Self.request, token: token, connectionID: 0xB0B)
        #expect(link.run(client, from: aliceLater) == .finished)
        #expect(link.earlyData.last?.connection.addressToken == .forged)
        #expect(client.response == Self.response(1_000))
        #expect(link.respondedAt == 80 * Self.ms)
        #expect(link.bytesToClientBeforeValidation <= 3 * link.bytesFromClientBeforeValidation)
    }

    @Test func aTokenPresentedFromAnotherHostIsRefused() throws {
        let link = ZeroRTTLink()
        let token = try firstContact(on: link)
        link.answer = { _ in Self.response(1_000) }
        let mallory = ZeroRTTLink.client(request: Self.request, token: token, connectionID: 0xBAD)
        #expect(link.run(mallory, from: bob) == .finished)
        #expect(link.earlyData.last?.connection.addressToken == .forged, "the MAC covers Alice's address")
        #expect(link.respondedAt == 80 * Self.ms)
        #expect(link.bytesToClientBeforeValidation <= 3 * link.bytesFromClientBeforeValidation)
    }

    @Test func anExpiredTokenIsRefused() throws {
        let link = ZeroRTTLink(endpoint: ZeroRTTLink.makeEndpoint { $0.addressTokenLifetime = 1_000 * Self.ms })
        let token = try firstContact(on: link)
        link.advance(to: link.now + 2_000 * Self.ms)
        link.answer = { _ in Self.response(1_000) }
        let client = ZeroRTTLink.client(request: Self.request, token: token, connectionID: 0xB0B)
        #expect(link.run(client, from: aliceLater) == .finished)
        #expect(link.earlyData.last?.connection.addressToken == .expired)
        #expect(link.respondedAt == 80 * Self.ms)
    }

    @Test func aLostSynIsResentWithItsRequest() {
        let link = ZeroRTTLink()
        link.lostToServer = [1]
        link.answer = { _ in Self.response(100) }
        let client = ZeroRTTLink.client(request: Self.request)
        #expect(link.run(client, from: alice) == .finished)
        #expect(client.response == Self.response(100))
        #expect(link.respondedAt == 1_040 * Self.ms, "after the SYN's initial 1 s timeout")
        #expect(link.delivered == Self.request)
    }

    @Test func aLostSynAckBringsTheSameAnswerWithoutAskingTheApplicationAgain() {
        let link = ZeroRTTLink()
        link.lostToClient = [1]
        var asked = 0
        link.answer = { _ in
            asked += 1
            return Self.response(100)
        }
        let client = ZeroRTTLink.client(request: Self.request)
        #expect(link.run(client, from: alice) == .finished)
        #expect(client.response == Self.response(100))
        #expect(link.respondedAt == 1_040 * Self.ms, "the resent SYN is answered with the same SYN-ACK")
        #expect(asked == 1, "the early data was offered once: a resent SYN belongs to its connection")
        #expect(link.delivered == Self.request)
        #expect(link.bytesToClientBeforeValidation <= 3 * link.bytesFromClientBeforeValidation)
    }

    /// Early data is replayable (docs/SECURITY.md): a SYN recorded and sent again after its
    /// connection ended is a new offer with the same request. The application sees it marked as
    /// such (before any proof); the replayer cannot prove the address, so nothing reaches the
    /// stream, its spent token lifts no limit, and the answer stays within three times the SYN.
    @Test func aRecordedSynReplayedLaterIsOfferedAgainAsUnprovedEarlyDataAndNothingMore() throws {
        let link = ZeroRTTLink()
        let token = try firstContact(on: link)
        link.answer = { _ in Self.response(1_000) }
        link.run(ZeroRTTLink.client(request: Self.request, token: token, connectionID: 0xB0B), from: aliceLater)
        let syn = try #require(link.recorded.last { ReceiverEndpointTests.type($0) == .syn })
        link.advance(to: link.now + 60_000 * Self.ms)
        let streamBefore = link.delivered
        let answered = link.inject(syn, from: aliceLater, at: link.now)
        #expect(link.earlyData.count == 3, "the replay is offered like the original")
        #expect(link.earlyData.last?.validatedYet == false)
        #expect(link.earlyData.last?.connection.addressToken == .alreadyUsed)
        #expect(answered <= 3 * syn.count, "\(answered) bytes answered to a \(syn.count)-byte SYN")
        // A half-open handshake lasts as long as its SYN says the sender retries: (10 + 2) × 4 s.
        link.advance(to: link.now + 60_000 * Self.ms)
        #expect(link.delivered == streamBefore, "no proof, so nothing joins a stream")
        #expect(link.endpoint.isEmpty, "the half-open connection expired")
    }

    @Test func aReceiverThatDeclinesEarlyDataGetsTheRequestAsData() {
        let link = ZeroRTTLink(endpoint: ZeroRTTLink.makeEndpoint { $0.receiver.takesEarlyData = false })
        link.answer = { _ in Self.response(100) }
        let client = ZeroRTTLink.client(request: Self.request)
        #expect(link.run(client, from: alice) == .finished)
        #expect(client.statistics.earlyDataBytesTaken == 0)
        #expect(client.statistics.dataPacketsSent == 1, "the request went again, as DATA")
        #expect(link.delivered == Self.request, "exactly once")
    }

    @Test(arguments: [TransferMode.stopAndWait, .goBackN, .selectiveRepeat])
    func aLongerTransferCarriesItsFirstPacketInTheSynAndTheRestAsData(mode: TransferMode) {
        let link = ZeroRTTLink()
        var configuration = SenderConfiguration(mode: mode, mss: 500, window: 4, connectionID: 0x5EED,
                                                initialSequence: UInt32.max - 2, fileName: Array("f".utf8), fileSize: 2_750)
        configuration.sendsEarlyData = true
        let sender = Sender(configuration: configuration, now: 0)
        let file = (0..<2_750).map { UInt8(truncatingIfNeeded: $0 * 31) }
        #expect(file.withUnsafeBytes { sender.write($0) } == 500, "while connecting, only the SYN's packet")
        let rest = Array(file[500...])
        let client = sender
        var written = 500
        // The application writes the rest once the connection is up.
        while client.state == .connecting || written < file.count {
            link.run(client, from: alice, for: 10 * Self.ms)
            written += rest[(written - 500)...].withUnsafeBytes { client.write($0) }
            if written == file.count { client.finishWriting(sha256: SHA256.hash(file)) }
            if link.now > 60_000 * Self.ms { break }
        }
        #expect(link.run(client, from: alice) == .finished)
        #expect(link.delivered == file)
        #expect(client.statistics.earlyDataBytesTaken == 500)
    }

    @Test func aSynWithoutEarlyDataGetsThePlainSynAckAnEarlierSenderReads() throws {
        let endpoint = ZeroRTTLink.makeEndpoint()
        let sender = ReceiverEndpointTests.makeSender()
        let syn = try #require(ReceiverEndpointTests.datagrams(of: sender, now: 0).first)
        ReceiverEndpointTests.deliver(syn, to: endpoint, from: alice, now: 0)
        guard case .offered(let connection) = ReceiverEndpointTests.events(of: endpoint).first else {
            Issue.record("a SYN offers a connection")
            return
        }
        #expect(connection.earlyData == nil)
        endpoint.accept(connection.handle, response: Self.response(10), now: 0)
        let synAck = try #require(ReceiverEndpointTests.transmitted(by: endpoint, now: 0).first)
        let payload = synAck.bytes.withUnsafeBytes { Array(try! PacketView.decode($0).payload) }
        #expect(payload.count == 8, "MSS, zero flags, window: a response goes only to a sender that asked")
        #expect(payload[2] == 0 && payload[3] == 0)
    }
}

/// The 0-RTT fields on the wire: what round-trips, and what the decoders refuse.
@Suite struct ZeroRTTWireTests {
    @Test func aSynWithTokenAndEarlyDataRoundTrips() throws {
        var syn = SynPayload(mode: .selectiveRepeat, mss: 1_200, window: 8, fileSize: 3, name: Array("q".utf8))
        syn.retryBudget = RetryBudget(retries: 10, largestTimeout: 4_000_000_000)
        syn.addressToken = [1, 2, 3]
        syn.earlyData = [9, 8, 7]
        let bytes = syn.encoded()
        #expect(bytes[1] == 0x02 | 0x08 | 0x10)
        #expect(try bytes.withUnsafeBytes { try SynPayload(decoding: $0) } == syn)
        var asking = syn
        asking.addressToken = []
        asking.earlyData = nil
        #expect(try asking.encoded().withUnsafeBytes { try SynPayload(decoding: $0) } == asking)
    }

    @Test func everyTruncationOfTheNewSynFieldsIsRefused() {
        var syn = SynPayload(mode: .goBackN, mss: 100, window: 4, fileSize: nil, name: [])
        syn.addressToken = Array(repeating: 5, count: 24)
        syn.earlyData = Array(repeating: 6, count: 100)
        let bytes = syn.encoded()
        for length in 0..<bytes.count {
            #expect(throws: WireError.self) { try Array(bytes[0..<length]).withUnsafeBytes { try SynPayload(decoding: $0) } }
        }
    }

    @Test func earlyDataBeyondTheMSSOrEmptyIsRefused() {
        var syn = SynPayload(mode: .selectiveRepeat, mss: 10, window: 4, fileSize: nil, name: [])
        syn.earlyData = Array(repeating: 1, count: 11)
        #expect(throws: WireError.self) { try syn.encoded().withUnsafeBytes { try SynPayload(decoding: $0) } }
        syn.earlyData = []
        #expect(throws: WireError.self) { try syn.encoded().withUnsafeBytes { try SynPayload(decoding: $0) } }
    }

    @Test func aSynAckWithTokenAndResponseRoundTripsAndUnknownFlagsAreRefused() throws {
        var answer = SynAckPayload(mss: 1_200, window: 8)
        answer.tookEarlyData = true
        answer.addressToken = Array(repeating: 3, count: 24)
        answer.response = [1, 2, 3, 4]
        let bytes = answer.encoded()
        #expect(try bytes.withUnsafeBytes { try SynAckPayload(decoding: $0) } == answer)
        for length in 8..<bytes.count {
            #expect(throws: WireError.self) { try Array(bytes[0..<length]).withUnsafeBytes { try SynAckPayload(decoding: $0) } }
        }
        var unknown = SynAckPayload(mss: 1_200, window: 8).encoded()
        unknown[3] = 0x10
        #expect(throws: WireError.self) { try unknown.withUnsafeBytes { try SynAckPayload(decoding: $0) } }
        var follows = SynAckPayload(mss: 1_200, window: 8)
        follows.responseFollows = true
        follows.response = [1]
        let decoded = try follows.encoded().withUnsafeBytes { try SynAckPayload(decoding: $0) }
        #expect(decoded.responseFollows && decoded.response == nil, "a response to follow is not carried")
    }

    /// RFC 4231 test cases 1 and 2.
    @Test func hmacSHA256MatchesRFC4231() {
        #expect(HMACSHA256.authenticate(Array("Hi There".utf8), key: [UInt8](repeating: 0x0b, count: 20)).hex
                == "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
        #expect(HMACSHA256.authenticate(Array("what do ya want for nothing?".utf8), key: Array("Jefe".utf8)).hex
                == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        // Test case 6: a key longer than a block is hashed first.
        #expect(HMACSHA256.authenticate(Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8),
                                        key: [UInt8](repeating: 0xaa, count: 131)).hex
                == "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
    }
}
