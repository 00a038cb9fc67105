import CLIKit
import LabKit
import RUDP
import RUDPNet
import SystemKit
import RUDPSim

/// `rudp-lab why-udp-peer sink`: receives a why-udp message stream over UDP, TCP or RUDP and
/// prints when each message reached it; ends once every message arrived (UDP), the stream
/// ended (TCP, RUDP), after --idle without a datagram (UDP), or on SIGTERM.
struct WhyUDPPeerSink {
    let count: Int
    let size: Int
    let idle: UInt64
    let signals: SignalNotifier
    /// Per message: the send stamp it carried and when it arrived (monotonic ns).
    var arrivals: [(sentAt: UInt64, arrivedAt: UInt64)?]
    var arrivedCount = 0

    static func run(_ commandLine: [String]) throws {
        var spec = CommandSpec(name: commandLine.first ?? "rudp-lab why-udp-peer sink",
                               summary: "Receive a why-udp message stream (used by why-udp --network link)")
        let transport = WhyUDPPeerSupport.transportOption(&spec, help: "How the messages come")
        let listen = WhyUDPPeerSupport.listenOption(&spec)
        let count = spec.option("count", placeholder: "N", default: "1000", help: "Messages expected",
                                parse: ValueParsers.integer(in: 1...1_000_000))
        let size = WhyUDPPeerSupport.sizeOption(&spec, help: "Bytes per message")
        let idle = spec.option("idle", placeholder: "DUR", default: "3s", help: "UDP: end after this long without a message",
                               parse: DurationValue.parse)
        let arguments = try spec.parse(commandLine)
        let address = try WhyUDPPeerSupport.address(arguments[listen], listening: true, program: spec.name)
        SignalNotifier.ignoreSIGPIPE()
        var sink = WhyUDPPeerSink(count: arguments[count], size: arguments[size], idle: arguments[idle].nanoseconds,
                                  signals: try SignalNotifier.install(),
                                  arrivals: Array(repeating: nil, count: arguments[count]))
        do {
            switch arguments[transport] {
            case "udp": try sink.receiveDatagrams(on: address)
            case "tcp": try sink.receiveStream(on: address)
            default: try sink.receiveConnection(on: address)
            }
        } catch is PeerStopped {
            // Stopped from outside: what arrived so far is the result.
        }
        for (index, arrival) in sink.arrivals.enumerated() {
            guard let arrival else { continue }
            Console.out(WhyUDPPeerInterface.arrivedLine(index: index, sentAt: arrival.sentAt, arrivedAt: arrival.arrivedAt))
        }
        Console.out(WhyUDPPeerInterface.doneLine)
    }

    static func announce(_ address: SocketAddress) {
        Console.err(WhyUDPPeerInterface.listeningPrefix + address.description)
    }

    /// Notes one message's arrival (the first, if it comes twice); false if it is not a valid message.
    @discardableResult
    mutating func record(_ message: UnsafeRawBufferPointer, at now: UInt64) -> Bool {
        guard let stamp = MessageStamp.read(message), stamp.index < UInt64(count) else { return false }
        if arrivals[Int(stamp.index)] == nil {
            arrivals[Int(stamp.index)] = (stamp.sentAt, now)
            arrivedCount += 1
        }
        return true
    }

    mutating func receiveDatagrams(on address: SocketAddress) throws {
        let socket = try UDPSocket(bindingTo: address)
        defer { socket.close() }
        _ = socket.setBufferSizes(send: nil, receive: 4 << 20)
        Self.announce(socket.localAddress)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
        defer { buffer.deallocate() }
        var lastArrival: UInt64?
        while arrivedCount < count {
            let readable = try WhyUDPPeerSupport.wait(for: socket.fileDescriptor, until: lastArrival.map { $0 + idle },
                                                      signals: signals)
            let now = MonotonicClock.now()
            if !readable, let last = lastArrival, now >= last + idle { return }
            try WhyUDPPeerSupport.receiveAll(socket, buffer: buffer) { bytes, _ in
                if record(bytes, at: now) { lastArrival = now }
            }
        }
    }

    mutating func receiveStream(on address: SocketAddress) throws {
        let listener = try TCPListener(bindingTo: address)
        defer { listener.close() }
        Self.announce(listener.localAddress)
        var stream: TCPStream?
        while stream == nil {
            _ = try WhyUDPPeerSupport.wait(for: listener.fileDescriptor, until: nil, signals: signals)
            stream = try listener.accept(blocking: false)
        }
        guard let stream else { return }
        defer { stream.close() }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
        defer { buffer.deallocate() }
        var pending: [UInt8] = []
        while true {
            _ = try WhyUDPPeerSupport.wait(for: stream.fileDescriptor, until: nil, signals: signals)
            let now = MonotonicClock.now()
            guard let count = try stream.read(into: buffer) else { continue }
            if count == 0 { return }  // the source closed: every byte it wrote has arrived
            pending.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
            var offset = 0
            while pending.count - offset >= size {
                pending.withUnsafeBytes { _ = record(UnsafeRawBufferPointer(rebasing: $0[offset..<(offset + size)]), at: now) }
                offset += size
            }
            pending.removeFirst(offset)
        }
    }

    mutating func receiveConnection(on address: SocketAddress) throws {
        let socket = try UDPSocket(bindingTo: address)
        defer { socket.close() }
        _ = socket.setBufferSizes(send: 4 << 20, receive: 4 << 20)
        Self.announce(socket.localAddress)
        let driver = EndpointDriver(peerSocket: socket, endpoint: WhyUDPPeerSupport.receiverEndpoint(), signals: signals)
        var stream = Stream(sink: self)
        // What arrived counts even when a signal ends the run.
        defer { self = stream.sink }
        try driver.run(&stream)
    }

    /// The sink on the driver: the source's one connection, accepted by the endpoint, its
    /// messages recorded as they are delivered and checked against the FIN's digest.
    struct Stream: WhyUDPPeerApplication {
        var sink: WhyUDPPeerSink
        var connection: InboundConnection?
        /// A message of the datagram being handled failed its check.
        var damaged = false
        var ended = false

        mutating func handle(_ event: EndpointEvent, driver: EndpointDriver, now: UInt64) {
            switch event {
            case .offered(let offered):
                if connection == nil {
                    connection = offered
                    driver.endpoint?.accept(offered.handle, now: now)
                } else {
                    driver.endpoint?.fail(offered.handle, code: .busy, message: "the sink takes one stream", now: now)
                }
            case .validated:
                break
            case .closed(let closed):
                if closed === connection { ended = true }
            }
        }

        mutating func received(_ payload: UnsafeRawBufferPointer, on connection: InboundConnection, driver: EndpointDriver,
                               now: UInt64) {
            if !sink.record(payload, at: now) { damaged = true }
        }

        /// At the FIN, checks every message is there.
        mutating func handled(_ connection: InboundConnection, driver: EndpointDriver, now: UInt64) {
            guard let endpoint = driver.endpoint else { return }
            guard !damaged else {
                damaged = false
                endpoint.fail(connection.handle, code: .integrityFailure, message: "a message arrived damaged", now: now)
                return
            }
            guard case .finishing(let fin) = connection.receiver.state else { return }
            if WhyUDPPeerSupport.digest(sentAt: sink.arrivals.map { $0?.sentAt }, size: sink.size) == fin.sha256 {
                endpoint.confirmFinish(connection.handle, now: now)
            } else {
                endpoint.fail(connection.handle, code: .integrityFailure, message: "messages missing or different", now: now)
            }
        }

        func afterInput(driver: EndpointDriver, now: UInt64) -> EndpointDriver.Step {
            ended ? .stop : .proceed
        }
    }
}
