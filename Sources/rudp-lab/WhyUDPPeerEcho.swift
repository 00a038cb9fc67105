import CLIKit
import LabKit
import RUDP
import RUDPNet
import SystemKit
import RUDPSim

/// `rudp-lab why-udp-peer echo`: answers each request with a response of the same size, over
/// UDP (one datagram back), TCP (one connection per request) or RUDP (the client's connection
/// carries the request; the server opens one back for the response as soon as the client's SYN
/// arrives). Serves until SIGTERM.
struct WhyUDPPeerEcho {
    let size: Int
    let signals: SignalNotifier

    static func run(_ commandLine: [String]) throws {
        var spec = CommandSpec(name: commandLine.first ?? "rudp-lab why-udp-peer echo",
                               summary: "Answer why-udp requests (used by why-udp --network link)")
        let transport = spec.option("transport", placeholder: "udp|tcp|rudp", default: "udp", help: "How requests come",
                                    parse: ValueParsers.choice(WhyUDPExchange.allCases.map(\.rawValue)))
        let listen = spec.option("listen", placeholder: "ADDR", default: "127.0.0.1:0", help: "Where to listen",
                                 parse: ValueParsers.string)
        let size = spec.option("size", placeholder: "BYTES", default: "100", help: "Bytes per request and response",
                               parse: ValueParsers.integer(in: MessageStamp.minimumSize...1_200))
        let arguments = try spec.parse(commandLine)
        let address = try WhyUDPPeerSupport.address(arguments[listen], listening: true, program: spec.name)
        SignalNotifier.ignoreSIGPIPE()
        let echo = WhyUDPPeerEcho(size: arguments[size], signals: try SignalNotifier.install())
        do {
            switch WhyUDPExchange(rawValue: arguments[transport])! {
            case .udp: try echo.answerDatagrams(on: address)
            case .tcp: try echo.answerStreams(on: address)
            case .rudp: try echo.answerConnections(on: address)
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
        defer { buffer.deallocate() }
        while true {
            _ = try WhyUDPPeerSupport.wait(for: socket.fileDescriptor, until: nil, signals: signals)
            try WhyUDPPeerSupport.receiveAll(socket, buffer: buffer) { bytes, from in
                WhyUDPPeerSupport.send(bytes, socket: socket, to: from)
            }
        }
    }

    func answerStreams(on address: SocketAddress) throws {
        let listener = try TCPListener(bindingTo: address)
        defer { listener.close() }
        WhyUDPPeerSink.announce(listener.localAddress)
        let request = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 8)
        defer { request.deallocate() }
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
            if received == size { try? stream.writeAll(UnsafeRawBufferPointer(request)) }
        }
    }

    /// One client's pair of connections: its request connection and the response connection back.
    final class Exchange {
        let receiver: Receiver
        let sender: Sender
        var requestArrived = false
        var responseWritten = false

        init(receiver: Receiver, sender: Sender) {
            self.receiver = receiver
            self.sender = sender
        }

        var isOver: Bool {
            switch sender.state {
            case .finished, .failed: receiver.isReclaimable
            default: false
            }
        }
    }

    func answerConnections(on address: SocketAddress) throws {
        let socket = try UDPSocket(bindingTo: address)
        defer { socket.close() }
        WhyUDPPeerSink.announce(socket.localAddress)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
        let reply = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
        let response = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 8)
        defer {
            buffer.deallocate()
            reply.deallocate()
            response.deallocate()
        }
        var exchanges: [SocketAddress: Exchange] = [:]
        while true {
            let deadline = exchanges.values.flatMap { [$0.receiver.nextDeadline, $0.sender.nextDeadline] }.compactMap { $0 }.min()
            _ = try WhyUDPPeerSupport.wait(for: socket.fileDescriptor, until: deadline, signals: signals)
            let now = MonotonicClock.now()
            try WhyUDPPeerSupport.receiveAll(socket, buffer: buffer) { bytes, from in
                guard let packet = try? PacketView.decode(bytes) else { return }
                if let exchange = exchanges[from], packet.header.type == .syn,
                   packet.header.connectionID != exchange.receiver.connectionID {
                    exchanges[from] = nil  // the same address starts a new exchange
                }
                guard let exchange = exchanges[from] else {
                    guard packet.header.type == .syn, let receiver = WhyUDPPeerSupport.acceptConnection(packet, now: now) else {
                        return
                    }
                    let configuration = WhyUDPPeerSupport.senderConfiguration(delivery: .unordered, window: 8,
                                                                              size: UInt64(size), name: "response")
                    exchanges[from] = Exchange(receiver: receiver, sender: Sender(configuration: configuration, now: now))
                    return
                }
                if WhyUDPPeerSupport.isForSender(packet.header.type) {
                    exchange.sender.handle(packet: packet, now: now)
                    if packet.header.type != .reset { return }
                }
                exchange.receiver.handle(packet: packet, now: now)
                exchange.receiver.readDelivered { payload in
                    if MessageStamp.read(payload) != nil { exchange.requestArrived = true }
                }
                if case .finishing = exchange.receiver.state { exchange.receiver.confirmFinish(now: now) }
            }
            for (peer, exchange) in exchanges {
                if let due = exchange.receiver.nextDeadline, due <= now { exchange.receiver.handleTimeout(now: now) }
                if let due = exchange.sender.nextDeadline, due <= now { exchange.sender.handleTimeout(now: now) }
                if exchange.requestArrived && !exchange.responseWritten && exchange.sender.state == .transferring {
                    MessageStamp.write(index: 0, sentAt: now, into: response)
                    if exchange.sender.writeMessage(UnsafeRawBufferPointer(response)) {
                        var hasher = SHA256()
                        hasher.update(UnsafeRawBufferPointer(response))
                        exchange.sender.finishWriting(sha256: hasher.finalize())
                        exchange.responseWritten = true
                    }
                }
                WhyUDPPeerSupport.flush(exchange.receiver, socket: socket, to: peer, buffer: reply, now: now)
                WhyUDPPeerSupport.flush(exchange.sender, socket: socket, to: peer, buffer: reply, now: now)
                if exchange.isOver { exchanges[peer] = nil }
            }
        }
    }
}
