import Foundation
import CLIKit
import LabKit
import RUDP
import RUDPNet
import SystemKit
import RUDPSim

/// `rudp-lab why-udp-peer ask`: makes request/response trials one after the other against an
/// echo peer and prints each one's time from the first packet to the response reaching the
/// application (`trial INDEX NS`), or `trial INDEX none` when none came within --timeout.
struct WhyUDPPeerAsk {
    let address: SocketAddress
    let size: Int
    let responseSize: Int
    let timeout: UInt64
    let signals: SignalNotifier
    let request: UnsafeMutableRawBufferPointer

    static func run(_ commandLine: [String]) throws {
        var spec = CommandSpec(name: commandLine.first ?? "rudp-lab why-udp-peer ask",
                               summary: "Time why-udp request/response trials (used by why-udp --network link)")
        let transport = WhyUDPPeerSupport.transportOption(&spec, help: "How to ask")
        let to = spec.requiredOption("to", placeholder: "ADDR", help: "The echo peer's address", parse: ValueParsers.string)
        let trials = spec.option("trials", placeholder: "N", default: "50", help: "Request/response trials",
                                 parse: ValueParsers.integer(in: 1...10_000))
        let size = WhyUDPPeerSupport.sizeOption(&spec, help: "Bytes per request")
        let responseSize = WhyUDPPeerSupport.responseSizeOption(&spec)
        let timeout = spec.option("timeout", placeholder: "DUR", default: "5s", help: "Give up on a trial after this long",
                                  parse: DurationValue.parse)
        let arguments = try spec.parse(commandLine)
        SignalNotifier.ignoreSIGPIPE()
        let ask = WhyUDPPeerAsk(
            address: try WhyUDPPeerSupport.address(arguments[to], listening: false, program: spec.name),
            size: arguments[size], responseSize: arguments[responseSize] ?? arguments[size], timeout: arguments[timeout].nanoseconds, signals: try SignalNotifier.install(),
            request: UnsafeMutableRawBufferPointer.allocate(byteCount: arguments[size], alignment: 8))
        defer { ask.request.deallocate() }
        let exchange = WhyUDPExchange(rawValue: arguments[transport])!
        // With a token: an untimed first contact gets one; each trial then hands the next the
        // fresh token its SYN-ACK brought (a token is taken once).
        var token: [UInt8] = []
        if exchange == .tcpFastOpenCookie {
            // An untimed first connection gets the cookie, which the kernel keeps for the echo's address.
            try ask.forgetFastOpenCookie()
            MessageStamp.write(index: 0, sentAt: MonotonicClock.now(), into: ask.request)
            _ = try ask.stream(fastOpen: true)
        }
        if exchange == .rudpZeroRTTToken {
            MessageStamp.write(index: 0, sentAt: MonotonicClock.now(), into: ask.request)
            token = try WhyUDPPeerZeroRTT.ask(ask.address, request: UnsafeRawBufferPointer(ask.request), token: [],
                                              timeout: ask.timeout, signals: ask.signals).token ?? []
        }
        for trial in 0..<arguments[trials] {
            MessageStamp.write(index: UInt64(trial), sentAt: MonotonicClock.now(), into: ask.request)
            let time: UInt64?
            switch exchange {
            case .udp: time = try ask.datagram()
            case .tcp: time = try ask.stream()
            case .rudp: time = try ask.connections()
            case .rudpZeroRTT:
                time = try WhyUDPPeerZeroRTT.ask(ask.address, request: UnsafeRawBufferPointer(ask.request), token: [],
                                                 timeout: ask.timeout, signals: ask.signals).time
            case .rudpZeroRTTToken:
                let answer = try WhyUDPPeerZeroRTT.ask(ask.address, request: UnsafeRawBufferPointer(ask.request),
                                                       token: token, timeout: ask.timeout, signals: ask.signals)
                time = answer.time
                token = answer.token ?? []
            case .tcpFastOpen:
                // First contact every time: the kernel's cookie for the echo is forgotten first.
                try ask.forgetFastOpenCookie()
                time = try ask.stream(fastOpen: true)
            case .tcpFastOpenCookie:
                time = try ask.stream(fastOpen: true)
            }
            Console.out(WhyUDPPeerInterface.trialLine(index: trial, nanoseconds: time))
            // A short pause, so that one trial's stragglers never meet the next.
            _ = try WhyUDPPeerSupport.wait(for: nil, until: MonotonicClock.now() + 20_000_000, signals: ask.signals)
        }
    }

    func datagram() throws -> UInt64? {
        let socket = try UDPSocket(connectedTo: address)
        defer { socket.close() }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
        defer { buffer.deallocate() }
        let start = MonotonicClock.now()
        WhyUDPPeerSupport.send(UnsafeRawBufferPointer(request), socket: socket, to: nil)
        while try WhyUDPPeerSupport.wait(for: socket.fileDescriptor, until: start + timeout, signals: signals) {
            let now = MonotonicClock.now()
            var answered = false
            try WhyUDPPeerSupport.receiveAll(socket, buffer: buffer) { bytes, _ in
                if MessageStamp.read(bytes) != nil { answered = true }
            }
            if answered { return now - start }
        }
        return nil
    }

    func stream(fastOpen: Bool = false) throws -> UInt64? {
        let start = MonotonicClock.now()
        guard let stream = try? TCPStream.connect(to: address, deadline: start + timeout, blocking: false, fastOpen: fastOpen) else {
            return nil
        }
        defer { stream.close() }
        try? stream.setNoDelay(true)
        guard (try? stream.writeAll(UnsafeRawBufferPointer(request))) != nil else { return nil }
        let response = UnsafeMutableRawBufferPointer.allocate(byteCount: responseSize, alignment: 8)
        defer { response.deallocate() }
        var received = 0
        while received < responseSize {
            guard try WhyUDPPeerSupport.wait(for: stream.fileDescriptor, until: start + timeout, signals: signals) else {
                return nil
            }
            guard let count = try? stream.read(into: UnsafeMutableRawBufferPointer(rebasing: response[received...])) else {
                continue
            }
            if count == 0 { return nil }
            received += count
        }
        return MonotonicClock.now() - start
    }

    /// Makes the kernel forget the Fast Open cookie it holds for the echo's address (with the
    /// rest of its TCP metrics for it), as `ip tcp_metrics delete` does: the next connection is
    /// a first contact. Inside the why-udp namespace only.
    func forgetFastOpenCookie() throws {
        guard let ip = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"].first(where: FileManager.default.isExecutableFile(atPath:)) else {
            throw WhyUDPPeerFailure("the ip command (iproute2) is needed to forget TCP Fast Open cookies")
        }
        // Fails (harmlessly) when there is nothing to forget.
        _ = try ChildProcess(path: ip, arguments: ["tcp_metrics", "delete", address.host]).waitForExit(timeout: 5)
    }

    /// The client's RUDP connection carries the request; the server's connection back carries
    /// the response. After the response, both are closed properly (bounded to a second).
    func connections() throws -> UInt64? {
        let socket = try UDPSocket(connectedTo: address)
        defer { socket.close() }
        let driver = EndpointDriver(peerSocket: socket, endpoint: WhyUDPPeerSupport.receiverEndpoint(), signals: signals)
        let start = MonotonicClock.now()
        let configuration = WhyUDPPeerSupport.senderConfiguration(delivery: .unordered, window: 8, size: UInt64(size),
                                                                  name: "request")
        var trial = Trial(sender: Sender(configuration: configuration, now: start), request: UnsafeRawBufferPointer(request),
                          start: start, timeout: timeout)
        driver.add(trial.sender)
        try driver.run(&trial)
        return trial.answeredAt.map { $0 - start }
    }

    /// One RUDP trial on the driver: the request goes out on `sender` once it is connected; the
    /// response arrives on the connection the echo opens back, through the driver's endpoint.
    struct Trial: WhyUDPPeerApplication {
        let sender: Sender
        let request: UnsafeRawBufferPointer
        let start: UInt64
        let timeout: UInt64
        var requestWritten = false
        var responseConnectionOffered = false
        /// When the response reached the application: the wake-up that brought it.
        var answeredAt: UInt64?

        var limit: UInt64 { answeredAt.map { $0 + 1_000_000_000 } ?? start + timeout }

        var nextDeadline: UInt64? { limit }

        mutating func handle(_ event: EndpointEvent, driver: EndpointDriver, now: UInt64) {
            guard case .offered(let connection) = event, let endpoint = driver.endpoint else { return }
            // The echo opens one connection back per trial; any other is a stray.
            if responseConnectionOffered {
                endpoint.fail(connection.handle, code: .busy, message: "one response per trial", now: now)
            } else {
                responseConnectionOffered = true
                endpoint.accept(connection.handle, now: now)
            }
        }

        mutating func received(_ payload: UnsafeRawBufferPointer, on connection: InboundConnection, driver: EndpointDriver,
                               now: UInt64) {
            if MessageStamp.read(payload) != nil && answeredAt == nil { answeredAt = now }
        }

        func handled(_ connection: InboundConnection, driver: EndpointDriver, now: UInt64) {
            if case .finishing = connection.receiver.state { driver.endpoint?.confirmFinish(connection.handle, now: now) }
        }

        mutating func afterInput(driver: EndpointDriver, now: UInt64) -> EndpointDriver.Step {
            if !requestWritten && WhyUDPPeerSupport.writeOnlyMessage(request, to: sender) { requestWritten = true }
            // Both connections closed: the request's confirmed, the response's forgotten (or never opened).
            let closed = answeredAt != nil && WhyUDPPeerSupport.hasEnded(sender) && driver.endpoint?.isEmpty != false
            return now >= limit || closed ? .stop : .proceed
        }
    }
}
