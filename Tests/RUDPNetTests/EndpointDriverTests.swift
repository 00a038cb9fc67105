import RUDP
import Testing
@testable import RUDPNet
@testable import SystemKit

/// One driver, one loopback socket: a sender addressed to the socket itself and the endpoint
/// that receives it, so every datagram crosses the driver's dispatch both ways.
@Suite struct EndpointDriverTests {
    static let size = 50_000

    /// Feeds the sender once it is connected; accepts the one connection, collects its bytes,
    /// confirms its FIN, and stops once the sender knows the transfer was confirmed.
    struct Collector: EndpointApplication {
        let sender: Sender
        let content: [UInt8]
        var written = 0
        var events: [String] = []
        var bytes: [UInt8] = []
        let deadline = MonotonicClock.now() + 10_000_000_000

        mutating func handle(_ event: EndpointEvent, driver: EndpointDriver, now: UInt64) {
            switch event {
            case .offered(let connection):
                events.append("offered")
                driver.endpoint?.accept(connection.handle, now: now)
            case .validated: events.append("validated")
            case .closed: events.append("closed")
            }
        }

        mutating func received(_ payload: UnsafeRawBufferPointer, on connection: InboundConnection, driver: EndpointDriver,
                               now: UInt64) {
            bytes.append(contentsOf: payload)
        }

        func handled(_ connection: InboundConnection, driver: EndpointDriver, now: UInt64) {
            if case .finishing = connection.receiver.state { driver.endpoint?.confirmFinish(connection.handle, now: now) }
        }

        var nextDeadline: UInt64? { deadline }

        mutating func afterInput(driver: EndpointDriver, now: UInt64) -> EndpointDriver.Step {
            if sender.state == .transferring && written < content.count {
                written += content.withUnsafeBytes { sender.write(UnsafeRawBufferPointer(rebasing: $0[written...])) }
                if written == content.count {
                    var hasher = SHA256()
                    content.withUnsafeBytes { hasher.update($0) }
                    sender.finishWriting(sha256: hasher.finalize())
                }
            }
            switch sender.state {
            case .finished, .failed: return .stop
            default: return now >= deadline ? .stop : .proceed
            }
        }
    }

    static func pattern(_ index: Int) -> UInt8 { UInt8(truncatingIfNeeded: index &* 31 &+ index >> 8) }

    @Test func aSenderAndTheEndpointItTalksToShareOneSocket() throws {
        let socket = try UDPSocket(bindingTo: SocketAddress.parse("127.0.0.1:0", forListening: true))
        defer { socket.close() }
        let endpoint = ReceiverEndpoint(configuration: ReceiverEndpointConfiguration(), random: SystemRandom.uint64)
        let driver = EndpointDriver(socket: socket, endpoint: endpoint)
        let content = (0..<Self.size).map(Self.pattern)
        var configuration = SenderConfiguration(connectionID: 0x5eed, initialSequence: 7, fileName: Array("f".utf8),
                                                fileSize: UInt64(Self.size))
        configuration.mss = 1_000
        let sender = Sender(configuration: configuration, now: MonotonicClock.now())
        driver.add(sender, to: socket.localAddress)
        #expect(driver.senders.count == 1)

        var collector = Collector(sender: sender, content: content)
        try driver.run(&collector)
        #expect(sender.state == .finished)
        #expect(collector.bytes.count == Self.size)
        let intact = collector.bytes == content
        #expect(intact)
        #expect(collector.events == ["offered", "validated"])
        driver.remove(sender)
        #expect(driver.senders.isEmpty)
    }

    /// Stops at the first wake-up of a watched descriptor.
    struct Watcher: EndpointApplication {
        struct Woken: Error {}
        var readyDescriptor: Int32?

        mutating func descriptorReady(_ fileDescriptor: Int32, driver: EndpointDriver, now: UInt64) throws {
            readyDescriptor = fileDescriptor
            throw Woken()
        }

        func afterInput(driver: EndpointDriver, now: UInt64) -> EndpointDriver.Step { .proceed }
    }

    @Test func aWatchedDescriptorWakesTheLoopAndItsApplicationMayEndIt() throws {
        let socket = try UDPSocket(bindingTo: SocketAddress.parse("127.0.0.1:0", forListening: true))
        defer { socket.close() }
        let pipe = try Posix.pipe()
        defer {
            try? Posix.close(pipe.readEnd)
            try? Posix.close(pipe.writeEnd)
        }
        [UInt8(1)].withUnsafeBytes { _ = try? Posix.write(pipe.writeEnd, $0) }
        let driver = EndpointDriver(socket: socket, watching: [pipe.readEnd])
        var watcher = Watcher()
        #expect(throws: Watcher.Woken.self) { try driver.run(&watcher) }
        #expect(watcher.readyDescriptor == pipe.readEnd)
    }

    /// Runs until a deadline.
    struct Timer: EndpointApplication {
        let deadline: UInt64
        var nextDeadline: UInt64? { deadline }
        func afterInput(driver: EndpointDriver, now: UInt64) -> EndpointDriver.Step { now >= deadline ? .stop : .proceed }
    }

    @Test func aStrayAcknowledgementIsDroppedWhileStrayDataIsAnsweredByTheEndpoint() throws {
        let socket = try UDPSocket(bindingTo: SocketAddress.parse("127.0.0.1:0", forListening: true))
        defer { socket.close() }
        let stranger = try UDPSocket(connectedTo: socket.localAddress)
        defer { stranger.close() }
        let driver = EndpointDriver(socket: socket, endpoint: ReceiverEndpoint(configuration: ReceiverEndpointConfiguration(),
                                                                               random: SystemRandom.uint64))
        for type in [PacketType.ack, .data] {
            // (DATA echoing 0 would be a first flight that lost its SYN, dropped without an RST.)
            let header = PacketHeader(type: type, connectionID: 0xABCD, sequence: SequenceNumber(5), timestamp: 1,
                                      timestampEcho: 99)
            let datagram = try PacketEncoder.encode(header, payload: type == .data ? [1, 2, 3] : [])
            _ = try datagram.withUnsafeBytes { try stranger.send($0) }
        }
        var timer = Timer(deadline: MonotonicClock.now() + 100_000_000)
        try driver.run(&timer)
        var replies: [PacketType] = []
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 2_048, alignment: 16)
        defer { buffer.deallocate() }
        while let (count, _) = try stranger.receive(into: buffer) {
            if let packet = try? PacketView.decode(UnsafeRawBufferPointer(rebasing: buffer[0..<count])) {
                replies.append(packet.header.type)
            }
        }
        #expect(replies == [.reset])
    }
}
