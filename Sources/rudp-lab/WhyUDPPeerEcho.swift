import CLIKit
import LabKit
import RUDP
import RUDPNet
import SystemKit
import RUDPSim

/// `rudp-lab why-udp-peer echo`: answers each request with a stamped response of `--response-size`
/// bytes (default: the request's), over
/// UDP (one datagram back), TCP (one connection per request) or RUDP (the client's connection
/// carries the request; the server opens one back for the response as soon as the client's SYN
/// arrives). Serves until SIGTERM.
struct WhyUDPPeerEcho {
    let size: Int
    let responseSize: Int
    let signals: SignalNotifier

    static func run(_ commandLine: [String]) throws {
        var spec = CommandSpec(name: commandLine.first ?? "rudp-lab why-udp-peer echo",
                               summary: "Answer why-udp requests (used by why-udp --network link)")
        let transport = WhyUDPPeerSupport.transportOption(&spec, help: "How requests come")
        let listen = WhyUDPPeerSupport.listenOption(&spec)
        let size = WhyUDPPeerSupport.sizeOption(&spec, help: "Bytes per request")
        let responseSize = WhyUDPPeerSupport.responseSizeOption(&spec)
        let arguments = try spec.parse(commandLine)
        let address = try WhyUDPPeerSupport.address(arguments[listen], listening: true, program: spec.name)
        SignalNotifier.ignoreSIGPIPE()
        let echo = WhyUDPPeerEcho(size: arguments[size], responseSize: arguments[responseSize] ?? arguments[size],
                                  signals: try SignalNotifier.install())
        do {
            switch WhyUDPExchange(rawValue: arguments[transport])! {
            case .udp: try echo.answerDatagrams(on: address)
            case .tcp: try echo.answerStreams(on: address)
            case .rudp: try echo.answerConnections(on: address)
            case .rudpZeroRTT, .rudpZeroRTTToken: try echo.answerEarlyData(on: address)
            case .tcpFastOpen, .tcpFastOpenCookie: try echo.answerStreams(on: address, fastOpen: true)
            }
        } catch is PeerStopped {
            return
        }
    }

    func answerDatagrams(on address: SocketAddress) throws {
        let socket = try UDPSocket(bindingTo: address)
        defer { socket.close() }
        WhyUDPPeerSink.announce(socket.localAddress)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
        let response = UnsafeMutableRawBufferPointer.allocate(byteCount: responseSize, alignment: 8)
        defer {
            buffer.deallocate()
            response.deallocate()
        }
        while true {
            _ = try WhyUDPPeerSupport.wait(for: socket.fileDescriptor, until: nil, signals: signals)
            try WhyUDPPeerSupport.receiveAll(socket, buffer: buffer) { bytes, from in
                // Echoed as it came (rudp-lab share's probe pings too), unless a stamped request
                // asks for an answer of another size.
                guard bytes.count != responseSize, let request = MessageStamp.read(bytes) else {
                    WhyUDPPeerSupport.send(bytes, socket: socket, to: from)
                    return
                }
                MessageStamp.write(index: request.index, sentAt: MonotonicClock.now(), into: response)
                WhyUDPPeerSupport.send(UnsafeRawBufferPointer(response), socket: socket, to: from)
            }
        }
    }

    /// With `fastOpen`, a client holding the echo's cookie sends its request in the SYN, readable at accept.
    func answerStreams(on address: SocketAddress, fastOpen: Bool = false) throws {
        let listener = try TCPListener(bindingTo: address)
        defer { listener.close() }
        if fastOpen { try listener.enableFastOpen() }
        WhyUDPPeerSink.announce(listener.localAddress)
        let request = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 8)
        let response = UnsafeMutableRawBufferPointer.allocate(byteCount: responseSize, alignment: 8)
        defer {
            request.deallocate()
            response.deallocate()
        }
        while true {
            _ = try WhyUDPPeerSupport.wait(for: listener.fileDescriptor, until: nil, signals: signals)
            guard let stream = try? listener.accept(blocking: false) else { continue }
            defer { stream.close() }
            // One request per connection; a client that stalls is dropped after 10 s.
            let deadline = MonotonicClock.now() + 10_000_000_000
            var received = 0
            while received < size, MonotonicClock.now() < deadline {
                guard try WhyUDPPeerSupport.wait(for: stream.fileDescriptor, until: deadline, signals: signals),
                      let count = try? stream.read(into: UnsafeMutableRawBufferPointer(rebasing: request[received...])) else {
                    continue
                }
                if count == 0 { break }
                received += count
            }
            if received == size, let stamp = MessageStamp.read(UnsafeRawBufferPointer(request)) {
                MessageStamp.write(index: stamp.index, sentAt: MonotonicClock.now(), into: response)
                try? stream.writeAll(UnsafeRawBufferPointer(response))
            }
        }
    }

    func answerConnections(on address: SocketAddress) throws {
        let socket = try UDPSocket(bindingTo: address)
        defer { socket.close() }
        WhyUDPPeerSink.announce(socket.localAddress)
        let driver = EndpointDriver(peerSocket: socket, endpoint: WhyUDPPeerSupport.receiverEndpoint(), signals: signals)
        var exchanges = Exchanges(size: responseSize)
        defer { exchanges.response.deallocate() }
        try driver.run(&exchanges)
    }

    func answerEarlyData(on address: SocketAddress) throws {
        let socket = try UDPSocket(bindingTo: address)
        defer { socket.close() }
        WhyUDPPeerSink.announce(socket.localAddress)
        let driver = EndpointDriver(peerSocket: socket, endpoint: WhyUDPPeerSupport.receiverEndpoint(), signals: signals)
        var echo = WhyUDPPeerZeroRTT.Echo(size: responseSize)
        try driver.run(&echo)
    }

    /// One client's pair of connections: its request connection and the response connection back.
    final class Exchange {
        let request: InboundConnection
        let sender: Sender
        var requestArrived = false
        var responseWritten = false
        /// The endpoint forgot the request connection (it ended, or expired half-open).
        var requestClosed = false

        init(request: InboundConnection, sender: Sender) {
            self.request = request
            self.sender = sender
        }

        var isOver: Bool { requestClosed && WhyUDPPeerSupport.hasEnded(sender) }
    }

    /// The echo on the driver: each connection a client opens is accepted by the endpoint and
    /// answered on an outbound sender opened back to the same address at once, so that both
    /// handshakes overlap.
    struct Exchanges: WhyUDPPeerApplication {
        let size: Int
        let response: UnsafeMutableRawBufferPointer
        var exchanges: [Exchange] = []

        init(size: Int) {
            self.size = size
            response = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 8)
        }

        func exchange(of connection: InboundConnection) -> Exchange? {
            exchanges.first { $0.request === connection }
        }

        mutating func handle(_ event: EndpointEvent, driver: EndpointDriver, now: UInt64) {
            switch event {
            case .offered(let connection):
                driver.endpoint?.accept(connection.handle, now: now)
                let configuration = WhyUDPPeerSupport.senderConfiguration(delivery: .unordered, window: 8,
                                                                          size: UInt64(size), name: "response")
                let sender = Sender(configuration: configuration, now: now)
                driver.add(sender, to: SocketAddress(connection.peer))
                exchanges.append(Exchange(request: connection, sender: sender))
            case .validated:
                break
            case .closed(let connection):
                exchange(of: connection)?.requestClosed = true
            }
        }

        func received(_ payload: UnsafeRawBufferPointer, on connection: InboundConnection, driver: EndpointDriver,
                      now: UInt64) {
            if MessageStamp.read(payload) != nil { exchange(of: connection)?.requestArrived = true }
        }

        func handled(_ connection: InboundConnection, driver: EndpointDriver, now: UInt64) {
            if case .finishing = connection.receiver.state { driver.endpoint?.confirmFinish(connection.handle, now: now) }
        }

        mutating func afterInput(driver: EndpointDriver, now: UInt64) -> EndpointDriver.Step {
            for exchange in exchanges where exchange.requestArrived && !exchange.responseWritten
                && exchange.sender.state == .transferring {
                MessageStamp.write(index: 0, sentAt: now, into: response)
                exchange.responseWritten = WhyUDPPeerSupport.writeOnlyMessage(UnsafeRawBufferPointer(response),
                                                                              to: exchange.sender)
            }
            for exchange in exchanges where exchange.isOver { driver.remove(exchange.sender) }
            exchanges.removeAll { $0.isOver }
            return .proceed
        }
    }
}
