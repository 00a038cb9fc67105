import RUDP
import Testing

/// One host cannot take every place or all the memory of a receiver: its transfers beyond its
/// share get smaller windows, then "busy", while other hosts are still served.
@Suite struct HostShareTests {
    static let ms: UInt64 = 1_000_000

    /// Runs a handshake and the first DATA packet from `peer`; the receiver's answer to the
    /// SYN and what became of the connection.
    static func connect(_ endpoint: ReceiverEndpoint, from peer: PeerAddress, id: UInt32, window: Int = 1_000,
                        now: UInt64) -> (answers: [PacketType?], connection: InboundConnection?, reset: String?) {
        let sender = Sender(configuration: SenderConfiguration(mode: .selectiveRepeat, mss: 1_000, window: window, connectionID: id,
                                                               initialSequence: 1, fileName: Array("f\(id)".utf8), fileSize: 5_000),
                            now: now)
        for datagram in ReceiverEndpointTests.datagrams(of: sender, now: now) {
            ReceiverEndpointTests.deliver(datagram, to: endpoint, from: peer, now: now)
        }
        var connection: InboundConnection?
        for event in ReceiverEndpointTests.events(of: endpoint) {
            if case .offered(let offered) = event {
                endpoint.accept(offered.handle, now: now)
                connection = offered
            }
        }
        let answers = ReceiverEndpointTests.transmitted(by: endpoint, now: now)
        for answer in answers where answer.to == peer { answer.bytes.withUnsafeBytes { _ = sender.handle(datagram: $0, now: now) } }
        _ = [UInt8](repeating: 1, count: 5_000).withUnsafeBytes { sender.write($0) }
        for datagram in ReceiverEndpointTests.datagrams(of: sender, now: now) {
            ReceiverEndpointTests.deliver(datagram, to: endpoint, from: peer, now: now)
        }
        _ = ReceiverEndpointTests.events(of: endpoint)
        _ = ReceiverEndpointTests.transmitted(by: endpoint, now: now)
        if case .failed(let error) = sender.state { return (answers.map { ReceiverEndpointTests.type($0.bytes) }, connection, error.description) }
        return (answers.map { ReceiverEndpointTests.type($0.bytes) }, connection, nil)
    }

    @Test func aHostWithItsShareOfTransfersIsToldBusyAndAnotherIsServed() {
        let endpoint = ReceiverEndpointTests.makeEndpoint { $0.maxConnectionsPerHost = 2 }
        for port in UInt16(1)...2 {
            let run = Self.connect(endpoint, from: PeerAddress(ipv4: 0x0a00_0066, port: port), id: UInt32(port), now: 0)
            #expect(run.connection?.isAddressValidated == true)
        }
        let third = Self.connect(endpoint, from: PeerAddress(ipv4: 0x0a00_0066, port: 3), id: 3, now: 0)
        #expect(third.answers == [.reset])
        #expect(third.reset?.contains("other transfers from this address") == true, "\(String(describing: third.reset))")
        let alice = Self.connect(endpoint, from: PeerAddress(ipv4: 0x0a00_0001, port: 3), id: 4, now: 0)
        #expect(alice.connection?.isAddressValidated == true, "another host still gets in")
        #expect(endpoint.establishedCount == 3)
    }

    @Test func aHostBeyondItsMemoryShareGetsASmallerWindowThenBusyWhileOthersGetFullOnes() {
        // 4 MB in all, a host's share 1 MB: a 1,000-packet window of 1,000 bytes is 1 MB.
        let endpoint = ReceiverEndpointTests.makeEndpoint {
            $0.memoryBudget = 4_000_000
            $0.hostMemoryShare = 0.25
        }
        let first = Self.connect(endpoint, from: PeerAddress(ipv4: 0x0a00_0066, port: 1), id: 1, window: 600, now: 0)
        #expect(first.connection?.receiver.window == 600)
        let second = Self.connect(endpoint, from: PeerAddress(ipv4: 0x0a00_0066, port: 2), id: 2, window: 600, now: 0)
        #expect(second.connection?.receiver.window == 400, "what is left of the host's share")
        let third = Self.connect(endpoint, from: PeerAddress(ipv4: 0x0a00_0066, port: 3), id: 3, window: 600, now: 0)
        #expect(third.answers == [.reset], "the share is spent")
        let alice = Self.connect(endpoint, from: PeerAddress(ipv4: 0x0a00_0001, port: 3), id: 4, window: 600, now: 0)
        #expect(alice.connection?.receiver.window == 600, "another host's window is whole")
    }

    @Test func anIPv6HostIsItsSlash64() {
        let endpoint = ReceiverEndpointTests.makeEndpoint { $0.maxConnectionsPerHost = 1 }
        let one = Self.connect(endpoint, from: PeerAddress(ipv6: 0x2001_0db8_0000_0001, 1, port: 1), id: 1, now: 0)
        #expect(one.connection?.isAddressValidated == true)
        let sameSubnet = Self.connect(endpoint, from: PeerAddress(ipv6: 0x2001_0db8_0000_0001, 2, port: 1), id: 2, now: 0)
        #expect(sameSubnet.answers == [.reset])
        let otherSubnet = Self.connect(endpoint, from: PeerAddress(ipv6: 0x2001_0db8_0000_0002, 1, port: 1), id: 3, now: 0)
        #expect(otherSubnet.connection?.isAddressValidated == true)
    }
}
