#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Testing
@testable import SystemKit

@Suite("UDP sockets on loopback")
struct SystemUDPTests {
    @Test("IPv4 round trip reports the sender's address")
    func ipv4RoundTrip() throws {
        let server = try UDPSocket(bindingTo: .loopback(.ipv4, port: 0))
        let client = try UDPSocket(bindingTo: .loopback(.ipv4, port: 0))
        #expect(server.localAddress.port != 0)
        #expect(server.localAddress.description == "127.0.0.1:\(server.localAddress.port)")

        try sendDatagram([10, 20, 30], from: client, to: server.localAddress)
        let (bytes, from) = try #require(try receiveDatagram(on: server))
        #expect(bytes == [10, 20, 30])
        #expect(from == client.localAddress)

        try sendDatagram([40], from: server, to: from)
        let (reply, replier) = try #require(try receiveDatagram(on: client))
        #expect(reply == [40])
        #expect(replier == server.localAddress)
    }

    @Test("IPv6 round trip reports the sender's address", .enabled(if: hasIPv6Loopback, "IPv6 loopback [::1] unavailable on this host"))
    func ipv6RoundTrip() throws {
        let server = try UDPSocket(bindingTo: .loopback(.ipv6, port: 0))
        let client = try UDPSocket(bindingTo: .loopback(.ipv6, port: 0))
        #expect(server.localAddress.description == "[::1]:\(server.localAddress.port)")

        let payload = [UInt8](0..<200)
        try sendDatagram(payload, from: client, to: server.localAddress)
        let (bytes, from) = try #require(try receiveDatagram(on: server))
        #expect(bytes == payload)
        #expect(from == client.localAddress)
        #expect(from.family == .ipv6)
    }

    @Test("a dual-stack :0 socket serves IPv4 and IPv6 peers, and replies to both",
          .enabled(if: SocketAddress.isIPv6Available && hasIPv6Loopback, "IPv6 unavailable: no dual-stack socket on this host"))
    func dualStack() throws {
        let server = try UDPSocket(bindingTo: try SocketAddress.parse(":0", forListening: true))
        #expect(server.family == .ipv6)
        let port = server.localAddress.port
        let client4 = try UDPSocket(bindingTo: .loopback(.ipv4, port: 0))
        let client6 = try UDPSocket(bindingTo: .loopback(.ipv6, port: 0))

        try sendDatagram([4], from: client4, to: .loopback(.ipv4, port: port))
        let (bytes4, from4) = try #require(try receiveDatagram(on: server))
        #expect(bytes4 == [4])
        #expect(from4 == client4.localAddress)
        #expect(from4.description == "127.0.0.1:\(client4.localAddress.port)")

        try sendDatagram([6], from: client6, to: .loopback(.ipv6, port: port))
        let (bytes6, from6) = try #require(try receiveDatagram(on: server))
        #expect(bytes6 == [6])
        #expect(from6 == client6.localAddress)

        // The IPv4 peer's address goes back out of the IPv6 socket in mapped form.
        try sendDatagram([44], from: server, to: from4)
        #expect(try receiveDatagram(on: client4)?.0 == [44])
        try sendDatagram([66], from: server, to: from6)
        #expect(try receiveDatagram(on: client6)?.0 == [66])
    }

    @Test("a connected socket to a port nobody listens on gets ECONNREFUSED")
    func connectedSocketSeesRefusal() throws {
        let closedPort: UInt16 = try {
            let probe = try UDPSocket(bindingTo: .loopback(.ipv4, port: 0))
            defer { probe.close() }
            return probe.localAddress.port
        }()
        let socket = try UDPSocket(connectedTo: .loopback(.ipv4, port: closedPort))
        #expect(socket.remoteAddress == .loopback(.ipv4, port: closedPort))
        #expect(socket.localAddress.port != 0)

        var refusal: SystemError?
        var buffer = [UInt8](repeating: 0, count: 64)
        let end = deadline(inMilliseconds: 3_000)
        var poller = Poller()
        poller.add(socket.fileDescriptor, interest: .readable)
        attempts: while MonotonicClock.now() < end {
            do {
                _ = try [UInt8](repeating: 1, count: 8).withUnsafeBytes { try socket.send($0) }
                _ = try poller.wait(until: min(end, deadline(inMilliseconds: 100)))
                _ = try buffer.withUnsafeMutableBytes { try socket.receive(into: $0) }
            } catch let error as SystemError {
                refusal = error
                break attempts
            }
        }
        let error = try #require(refusal, "no ECONNREFUSED within 3 s")
        #expect(error.isConnectionRefused, "\(error)")
    }

    @Test("a connected socket exchanges datagrams with its peer")
    func connectedRoundTrip() throws {
        let server = try UDPSocket(bindingTo: .loopback(.ipv4, port: 0))
        let client = try UDPSocket(connectedTo: server.localAddress)
        let sent = try [UInt8]([7, 7]).withUnsafeBytes { try client.send($0) }
        #expect(sent)
        let (bytes, from) = try #require(try receiveDatagram(on: server))
        #expect(bytes == [7, 7])
        #expect(from == client.localAddress)
        try sendDatagram([8], from: server, to: from)
        let (reply, replier) = try #require(try receiveDatagram(on: client))
        #expect(reply == [8])
        #expect(replier == server.localAddress)
    }

    @Test("receive returns nil when nothing is queued, and truncates a long datagram")
    func emptyAndTruncated() throws {
        let server = try UDPSocket(bindingTo: .loopback(.ipv4, port: 0))
        var small = [UInt8](repeating: 0, count: 4)
        #expect(try small.withUnsafeMutableBytes { try server.receive(into: $0) } == nil)

        let client = try UDPSocket(bindingTo: .loopback(.ipv4, port: 0))
        try sendDatagram([1, 2, 3, 4, 5, 6, 7, 8], from: client, to: server.localAddress)
        var poller = Poller()
        poller.add(server.fileDescriptor, interest: .readable)
        #expect(try poller.wait(until: deadline(inMilliseconds: 2_000)) == 1)
        let received = try small.withUnsafeMutableBytes { try server.receive(into: $0) }
        #expect(received?.count == 4)
        #expect(small == [1, 2, 3, 4])
        #expect(try small.withUnsafeMutableBytes { try server.receive(into: $0) } == nil)
    }

    @Test("buffer sizes are set best effort and reported")
    func bufferSizes() throws {
        let socket = try UDPSocket(bindingTo: .loopback(.ipv4, port: 0))
        let before = try socket.bufferSizes()
        #expect(before.send > 0 && before.receive > 0)
        let after = socket.setBufferSizes(send: 1 << 20, receive: 4 << 20)
        #expect(after == (try socket.bufferSizes()))
        #expect(after.receive >= before.receive)
        #expect(after.send >= before.send)
    }

    @Test("close is idempotent and later use fails with EBADF")
    func closeTwice() throws {
        let socket = try UDPSocket(bindingTo: .loopback(.ipv4, port: 0))
        socket.close()
        socket.close()
        #expect(socket.fileDescriptor == -1)
        #expect(throws: SystemError(errno: EBADF, call: "sendto")) {
            try [UInt8]([1]).withUnsafeBytes { try socket.send($0, to: .loopback(.ipv4, port: 9)) }
        }
    }

    @Test("binding a UDP port that is taken fails with EADDRINUSE")
    func portInUse() throws {
        let first = try UDPSocket(bindingTo: .loopback(.ipv4, port: 0))
        do {
            _ = try UDPSocket(bindingTo: first.localAddress)
            Issue.record("second bind succeeded")
        } catch {
            #expect(error.isAddressInUse, "\(error)")
            #expect(error.description.hasPrefix("bind: "))
        }
    }
}
