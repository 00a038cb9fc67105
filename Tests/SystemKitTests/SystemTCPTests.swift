#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Testing
@testable import SystemKit

/// Waits (bounded) for the listener to hand over a connection.
func acceptConnection(on listener: TCPListener, within milliseconds: UInt64 = 2_000) throws -> TCPStream? {
    var poller = Poller()
    poller.add(listener.fileDescriptor, interest: .readable)
    let end = deadline(inMilliseconds: milliseconds)
    while try poller.wait(until: end) > 0 {
        if let stream = try listener.accept() { return stream }
    }
    return nil
}

/// Reads until end of stream or the deadline; nil if the deadline came first.
func readToEnd(_ stream: TCPStream, within milliseconds: UInt64 = 5_000) throws -> [UInt8]? {
    var collected: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 16 * 1024)
    let end = deadline(inMilliseconds: milliseconds)
    while true {
        guard let count = try buffer.withUnsafeMutableBytes({ try stream.read(into: $0) }) else {
            guard try stream.wait(for: .readable, until: end) else { return nil }
            continue
        }
        if count == 0 { return collected }
        collected += buffer[..<count]
    }
}

@Suite("TCP listener and stream on loopback")
struct SystemTCPTests {
    @Test("connect, write a megabyte non-blocking, read it back, then EOF both ways")
    func transferAndEndOfStream() throws {
        let listener = try TCPListener(bindingTo: .loopback(.ipv4, port: 0))
        let client = try TCPStream.connect(to: listener.localAddress, timeout: .seconds(2), blocking: false)
        try client.setNoDelay(true)
        let server = try #require(try acceptConnection(on: listener))
        #expect(server.peerAddress == client.localAddress)
        #expect(client.peerAddress == listener.localAddress)
        #expect(!server.isBlocking && !client.isBlocking)

        // One thread drives both ends through one poller, as a driver's event loop would.
        let payload = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 9) }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 32 * 1024)
        var written = 0
        var serverSawEnd = false
        var poller = Poller()
        let end = deadline(inMilliseconds: 10_000)
        while !serverSawEnd {
            poller.removeAll()
            let serverIndex = poller.add(server.fileDescriptor, interest: .readable)
            if written < payload.count { poller.add(client.fileDescriptor, interest: .writable) }
            guard try poller.wait(until: end) > 0 else { break }
            if written < payload.count, !poller.events(at: 1).isEmpty {
                let count = try payload.withUnsafeBytes { bytes in
                    try client.write(UnsafeRawBufferPointer(rebasing: bytes[written...]))
                }
                written += count ?? 0
                if written == payload.count { try client.shutdownWrite() }
            }
            if !poller.events(at: serverIndex).isEmpty {
                while let count = try buffer.withUnsafeMutableBytes({ try server.read(into: $0) }) {
                    if count == 0 { serverSawEnd = true; break }
                    received += buffer[..<count]
                }
            }
        }
        #expect(serverSawEnd, "no end of stream within 10 s")
        #expect(received.count == payload.count)
        #expect(received == payload)

        // The half-closed client can still read the server's reply and its end of stream.
        try server.setBlocking(true)
        try [UInt8]("OK".utf8).withUnsafeBytes { try server.writeAll($0) }
        server.close()
        #expect(try readToEnd(client) == [UInt8]("OK".utf8))
    }

    @Test("blocking mode: writeAll and read wait instead of returning nil")
    func blockingMode() throws {
        let listener = try TCPListener(bindingTo: .loopback(.ipv4, port: 0))
        let client = try TCPStream.connect(to: listener.localAddress, timeout: .seconds(2))
        #expect(client.isBlocking)
        #expect(try !Posix.isNonBlocking(client.fileDescriptor))
        let server = try #require(try acceptConnection(on: listener))
        try server.setBlocking(true)

        let message = [UInt8]("hello over tcp".utf8)
        try message.withUnsafeBytes { try client.writeAll($0) }
        var buffer = [UInt8](repeating: 0, count: 64)
        var got: [UInt8] = []
        while got.count < message.count {
            let count = try #require(try buffer.withUnsafeMutableBytes { try server.read(into: $0) })
            try #require(count > 0)
            got += buffer[..<count]
        }
        #expect(got == message)

        try server.setBlocking(false)
        #expect(try buffer.withUnsafeMutableBytes { try server.read(into: $0) } == nil)
        #expect(try !server.wait(for: .readable, until: deadline(inMilliseconds: 20)))
        client.close()
        #expect(try server.wait(for: .readable, until: deadline(inMilliseconds: 2_000)))
        #expect(try buffer.withUnsafeMutableBytes { try server.read(into: $0) } == 0)
    }

    @Test("IPv6 connect and accept", .enabled(if: hasIPv6Loopback, "IPv6 loopback [::1] unavailable on this host"))
    func ipv6() throws {
        let listener = try TCPListener(bindingTo: .loopback(.ipv6, port: 0))
        let client = try TCPStream.connect(to: listener.localAddress, timeout: .seconds(2))
        let server = try #require(try acceptConnection(on: listener))
        #expect(server.peerAddress == client.localAddress)
        #expect(server.peerAddress.family == .ipv6)
    }

    @Test("a dual-stack listener accepts an IPv4 client under its IPv4 address",
          .enabled(if: SocketAddress.isIPv6Available, "IPv6 unavailable: no dual-stack socket on this host"))
    func dualStackListener() throws {
        let listener = try TCPListener(bindingTo: .wildcard(.ipv6, port: 0))
        let client = try TCPStream.connect(to: .loopback(.ipv4, port: listener.localAddress.port), timeout: .seconds(2))
        let server = try #require(try acceptConnection(on: listener))
        #expect(server.peerAddress == client.localAddress)
        #expect(server.peerAddress.description.hasPrefix("127.0.0.1:"))
    }

    @Test("connecting to a port nobody listens on is refused at once")
    func refused() throws {
        let closedPort: UInt16 = try {
            let probe = try TCPListener(bindingTo: .loopback(.ipv4, port: 0))
            defer { probe.close() }
            return probe.localAddress.port
        }()
        let start = MonotonicClock.now()
        do {
            _ = try TCPStream.connect(to: .loopback(.ipv4, port: closedPort), timeout: .seconds(5))
            Issue.record("connected to a closed port")
        } catch {
            #expect(error.isConnectionRefused, "\(error)")
            #expect(error.description.hasPrefix("connect: "))
        }
        #expect(MonotonicClock.now() - start < 3_000_000_000)
    }

    @Test("a connect that gets no answer gives up at its timeout with ETIMEDOUT")
    func connectTimeout() throws {
        // A listener whose accept queue is full makes the kernel drop further SYNs unanswered.
        let listener = try TCPListener(bindingTo: .loopback(.ipv4, port: 0), backlog: 0)
        var connected: [TCPStream] = []
        var timeout: SystemError?
        for _ in 0..<8 where timeout == nil {
            let start = MonotonicClock.now()
            do {
                connected.append(try TCPStream.connect(to: listener.localAddress, timeout: .milliseconds(150)))
            } catch {
                let elapsed = MonotonicClock.now() - start
                #expect(error.isTimedOut, "\(error)")
                #expect(elapsed >= 150_000_000, "gave up \(150_000_000 - elapsed) ns early")
                #expect(elapsed < 2_000_000_000)
                timeout = error
            }
        }
        let error = try #require(timeout, "every connect succeeded; the accept queue never filled")
        #expect(error.description == "connect: \(SystemError.message(for: ETIMEDOUT)) (errno \(ETIMEDOUT))")
    }

    @Test("UDP and TCP share one port number, kernel-chosen or given")
    func udpAndTCPOnSamePort() throws {
        // As rudp-recv does: UDP first (possibly port 0), TCP on the port UDP got.
        let listen = try SocketAddress.parse(":0", forListening: true)
        let udp = try UDPSocket(bindingTo: listen)
        let port = udp.localAddress.port
        #expect(port != 0)
        let tcp = try TCPListener(bindingTo: listen.withPort(port))
        #expect(tcp.localAddress.port == port)

        let sender = try UDPSocket(bindingTo: .loopback(.ipv4, port: 0))
        try sendDatagram([9], from: sender, to: .loopback(.ipv4, port: port))
        #expect(try receiveDatagram(on: udp)?.0 == [9])
        let client = try TCPStream.connect(to: .loopback(.ipv4, port: port), timeout: .seconds(2))
        let server = try #require(try acceptConnection(on: tcp))
        #expect(server.peerAddress == client.localAddress)

        // And a second TCP listener on the same port is still refused: the ports are really taken.
        #expect(throws: SystemError.self) { try TCPListener(bindingTo: .loopback(.ipv4, port: port)) }
    }

    @Test("listener close is idempotent and accept returns nil when nobody waits")
    func listenerLifecycle() throws {
        let listener = try TCPListener(bindingTo: .loopback(.ipv4, port: 0))
        #expect(try listener.accept() == nil)
        listener.close()
        listener.close()
        #expect(listener.fileDescriptor == -1)
    }
}
