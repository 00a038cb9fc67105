import Foundation
import SystemKit
import Testing

@testable import ProxyKit

/// Servers that answer from another port (TFTP, many request/response services), sources the
/// relay must refuse, and TCP beside the UDP: the relay follows what a NAT would, and counts
/// every datagram it cannot forward by cause.
@Suite struct RelayReplyPortTests {
    /// A relay whose configuration the scenario adjusts.
    private func relay(to server: SocketAddress, _ adjust: (inout UDPRelay.Configuration) -> Void = { _ in }) throws -> RunningRelay {
        var configuration = UDPRelay.Configuration(listenAddress: .loopback(.ipv4, port: 0), serverAddress: server)
        adjust(&configuration)
        return try RunningRelay(configuration)
    }

    @Test func aServerThatAnswersFromANewPortIsFollowedLikeANAT() throws {
        let server = try Endpoint(), exchange = try Endpoint(), client = try Endpoint()
        let relay = try relay(to: server.address)
        try client.send(Array("read f.bin".utf8), to: relay.address)
        let request = try #require(try server.receive())
        // The server answers from a port of its own for this exchange, as a TFTP server does.
        try exchange.send(Array("block 1".utf8), to: request.from)
        let reply = try #require(try client.receive(), "the reply from the server's other port never reached the client")
        #expect(reply.bytes == Array("block 1".utf8))
        #expect(reply.from != relay.address, "the reply must come from a relay port of its own")
        // What the client sends to that port reaches the exchange's port, not the first one.
        try client.send(Array("ack 1".utf8), to: reply.from)
        let ack = try #require(try exchange.receive(), "the client's answer to the new port went astray")
        #expect(ack.bytes == Array("ack 1".utf8))
        #expect(ack.from == request.from, "the server must see one peer for the client")
        #expect(try server.receive(timeout: 0.2) == nil)
        try exchange.send(Array("block 2".utf8), to: ack.from)
        #expect(try client.receive()?.from == reply.from)

        let stats = try relay.stop()
        #expect(stats.reverse.fromOtherPort == 2)
        #expect(stats.replySocketsTotal == 1)
        #expect(stats.forward.sent == 2 && stats.reverse.sent == 2)
        #expect(stats.forward.balances && stats.reverse.balances)
        #expect(relay.log.contains { $0.contains("answers from its port \(exchange.address.port)") }, "log: \(relay.log)")
    }

    @Test func strictReplyRefusesTheServersOtherPortsAndCountsThem() throws {
        let server = try Endpoint(), exchange = try Endpoint(), client = try Endpoint()
        let relay = try relay(to: server.address) { $0.strictReply = true }
        try client.send([1], to: relay.address)
        let request = try #require(try server.receive())
        try exchange.send([2], to: request.from)
        try server.send([3], to: request.from)
        let replies = try client.receiveAll()
        #expect(replies.map(\.bytes) == [[3]])
        let stats = try relay.stop()
        #expect(stats.reverse.strictReply == 1 && stats.reverse.fromOtherPort == 0)
        #expect(stats.reverse.received == 2 && stats.reverse.dropped == 1)
        #expect(stats.reverse.balances)
        #expect(stats.reverse.json["dropped_by"]?["strict_reply"]?.intValue == 1)
    }

    @Test func datagramsFromAnotherHostToAnUpstreamPortAreRefused() throws {
        let server = try Endpoint(), client = try Endpoint()
        let stranger = try Endpoint(socket: UDPSocket(bindingTo: SocketAddress(ipv4: (127, 0, 0, 2), port: 0)))
        let relay = try relay(to: server.address)
        try client.send([1], to: relay.address)
        let request = try #require(try server.receive())
        // An off-path host guesses the relay's upstream port and tries to inject a reply.
        try stranger.send([0xEE], to: SocketAddress.loopback(.ipv4, port: request.from.port))
        #expect(try client.receive(timeout: 0.3) == nil)
        let stats = try relay.stop()
        #expect(stats.reverse.wrongSource == 1 && stats.reverse.sent == 0)
        #expect(stats.reverse.balances)
    }

    @Test func aReplyPortServesOnlyClientsTheRelayKnows() throws {
        let server = try Endpoint(), exchange = try Endpoint(), client = try Endpoint(), other = try Endpoint()
        let relay = try relay(to: server.address)
        try client.send([1], to: relay.address)
        let request = try #require(try server.receive())
        try exchange.send([2], to: request.from)
        let reply = try #require(try client.receive())
        // Someone who never spoke to the relay's listening port sends to the reply port.
        try other.send([9], to: reply.from)
        #expect(try exchange.receive(timeout: 0.3) == nil)
        let stats = try relay.stop()
        #expect(stats.forward.unknownClient == 1)
        #expect(stats.forward.received == 2 && stats.forward.sent == 1)
        #expect(stats.forward.balances)
    }

    @Test func portUnreachableReportsAreCountedAndDoNotSpinTheRelay() throws {
        let closed = try Endpoint()
        let nowhere = closed.address
        closed.socket.close()
        let client = try Endpoint()
        let relay = try relay(to: nowhere)
        for number in 1...5 {
            try client.send(probe(number: UInt32(number)), to: relay.address)
            pause(0.02)
        }
        pause(0.2)
        let stats = try relay.stop()
        #expect(stats.forward.unreachableReports >= 1, "\(stats.forward.json.jsonText)")
        #expect(relay.log.contains { $0.contains("refused") && $0.contains("is it running?") }, "log: \(relay.log)")
    }

    @Test func tcpToTheRelaysPortIsPassedThroughUnimpairedWithinItsLimit() throws {
        // The server's UDP and TCP share a port number, as iperf3's do.
        let udp = try Endpoint()
        let listener = try TCPListener(bindingTo: udp.address)
        var lossy = UDPRelay.Configuration(listenAddress: .loopback(.ipv4, port: 0), serverAddress: udp.address)
        lossy.forward.loss = 1  // every UDP datagram is lost; TCP must not be
        lossy.tcpPassthroughConnections = 1
        let relay = try RunningRelay(lossy)

        let control = try TCPStream.connect(to: relay.address, timeout: .seconds(2))
        let accepted = try #require(try acceptWithin(2, listener))
        try write("param", to: control)
        #expect(try read(5, from: accepted) == Array("param".utf8))
        try write("go", to: accepted)
        #expect(try read(2, from: control) == Array("go".utf8))

        // One connection is the limit: a second is closed at once.
        let extra = try TCPStream.connect(to: relay.address, timeout: .seconds(2))
        #expect(try read(1, from: extra).isEmpty, "the connection over the limit must be closed")

        // The client's end of stream reaches the server as one.
        try control.shutdownWrite()
        #expect(try read(1, from: accepted).isEmpty)
        accepted.close()
        control.close()
        extra.close()
        pause(0.2)
        let stats = try relay.stop()
        let tcp = try #require(stats.tcp)
        #expect(tcp.connections == 1 && tcp.refused == 1 && tcp.failed == 0)
        #expect(tcp.bytesToServer == 5 && tcp.bytesToClients == 2)
        #expect(stats.json["tcp"]?["connections"]?.intValue == 1)
        listener.close()
    }

    private func acceptWithin(_ seconds: Double, _ listener: TCPListener) throws -> TCPStream? {
        let deadline = MonotonicClock.now() + UInt64(seconds * 1e9)
        while MonotonicClock.now() < deadline {
            if let stream = try listener.accept(blocking: true) { return stream }
            pause(0.01)
        }
        return nil
    }

    private func write(_ text: String, to stream: TCPStream) throws {
        let bytes = Array(text.utf8)
        try bytes.withUnsafeBytes { buffer in try stream.writeAll(buffer) }
    }

    /// Up to `count` bytes, fewer at end of stream, within 2 s.
    private func read(_ count: Int, from stream: TCPStream) throws -> [UInt8] {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: count)
        let deadline = MonotonicClock.now() + 2_000_000_000
        while received.count < count {
            guard try stream.wait(for: .readable, until: deadline) else { break }
            let got = try buffer.withUnsafeMutableBytes { (raw) throws(SystemError) in
                try stream.read(into: UnsafeMutableRawBufferPointer(rebasing: raw[..<(count - received.count)]))
            }
            guard let got else { continue }
            if got == 0 { break }
            received += buffer[..<got]
        }
        return received
    }
}
