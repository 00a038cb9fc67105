import CLIKit
import LabKit
import RUDP
import RUDPNet
import RUDPSim
import SystemKit

/// The why-udp peers' RUDP 0-RTT exchange (`--transport rudp-0rtt`, `rudp-0rtt-token`): the
/// client's request rides in its SYN, the echo answers it in the SYN-ACK (within three times the
/// SYN's bytes, or with a token any size), as `ZeroRTTRoundTrip` simulates it.
enum WhyUDPPeerZeroRTT {
    /// The echo's side: answers each SYN's stamped request with a stamped response of `size` bytes.
    struct Echo: WhyUDPPeerApplication {
        let size: Int

        func handle(_ event: EndpointEvent, driver: EndpointDriver, now: UInt64) {
            guard case .offered(let connection) = event, let endpoint = driver.endpoint else { return }
            var response: [UInt8]?
            if let request = connection.earlyData, request.withUnsafeBytes({ MessageStamp.read($0) }) != nil {
                var answer = [UInt8](repeating: 0, count: size)
                answer.withUnsafeMutableBytes { MessageStamp.write(index: 0, sentAt: now, into: $0) }
                response = answer
            }
            endpoint.accept(connection.handle, response: response, now: now)
        }

        func handled(_ connection: InboundConnection, driver: EndpointDriver, now: UInt64) {
            if case .finishing = connection.receiver.state { driver.endpoint?.confirmFinish(connection.handle, now: now) }
        }

        func afterInput(driver: EndpointDriver, now: UInt64) -> EndpointDriver.Step { .proceed }
    }

    /// A client sender whose `request` is aboard its SYN, presenting `token` (empty: asking for one).
    static func client(request: UnsafeRawBufferPointer, token: [UInt8], now: UInt64) -> Sender {
        var configuration = WhyUDPPeerSupport.senderConfiguration(delivery: .unordered, window: 8,
                                                                  size: UInt64(request.count), name: "request")
        configuration.sendsEarlyData = true
        configuration.addressToken = token
        let sender = Sender(configuration: configuration, now: now)
        sender.writeMessage(request)
        var hasher = SHA256()
        hasher.update(request)
        sender.finishWriting(sha256: hasher.finalize())
        return sender
    }

    /// One client trial on the driver: done when the response arrived and the request's
    /// connection closed (bounded to a second after the response), or at `timeout`.
    struct Trial: WhyUDPPeerApplication {
        let sender: Sender
        let start: UInt64
        let timeout: UInt64
        /// When the response reached the application: the wake-up that brought it.
        var answeredAt: UInt64?

        var limit: UInt64 { answeredAt.map { $0 + 1_000_000_000 } ?? start + timeout }

        var nextDeadline: UInt64? { limit }

        mutating func afterInput(driver: EndpointDriver, now: UInt64) -> EndpointDriver.Step {
            if answeredAt == nil, let response = sender.response, response.withUnsafeBytes({ MessageStamp.read($0) }) != nil {
                answeredAt = now
            }
            return now >= limit || (answeredAt != nil && WhyUDPPeerSupport.hasEnded(sender)) ? .stop : .proceed
        }
    }

    /// Runs one trial from a fresh socket (a new port, as a new connection of the same host has);
    /// returns the time to the response and the token the SYN-ACK handed out.
    static func ask(_ address: SocketAddress, request: UnsafeRawBufferPointer, token: [UInt8], timeout: UInt64,
                    signals: SignalNotifier) throws -> (time: UInt64?, token: [UInt8]?) {
        let socket = try UDPSocket(connectedTo: address)
        defer { socket.close() }
        let driver = EndpointDriver(peerSocket: socket, signals: signals)
        let start = MonotonicClock.now()
        var trial = Trial(sender: client(request: request, token: token, now: start), start: start, timeout: timeout)
        driver.add(trial.sender)
        try driver.run(&trial)
        return (trial.answeredAt.map { $0 - start }, trial.sender.addressToken)
    }
}
