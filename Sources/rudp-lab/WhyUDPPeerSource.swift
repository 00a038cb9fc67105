import CLIKit
import LabKit
import RUDP
import RUDPNet
import SystemKit
import RUDPSim

/// `rudp-lab why-udp-peer source`: writes a why-udp message stream on schedule over UDP, TCP or
/// RUDP (ordered or unordered delivery), each message stamped with its index and the monotonic
/// time the application wrote it; prints the send log when done.
struct WhyUDPPeerSource {
    let count: Int
    let size: Int
    let interval: UInt64
    let signals: SignalNotifier
    var sentAt: [UInt64] = []
    let message: UnsafeMutableRawBufferPointer
    /// Bytes of redundant copies the RUDP sender carried, when it used redundancy.
    var redundantBytes: Int?

    static func run(_ commandLine: [String]) throws {
        var spec = CommandSpec(name: commandLine.first ?? "rudp-lab why-udp-peer source",
                               summary: "Send a why-udp message stream (used by why-udp --network link)")
        let transport = spec.option("transport", placeholder: "T", default: "udp",
                                    help: "udp, tcp, rudp-ordered or rudp-unordered",
                                    parse: ValueParsers.choice(WhyUDPTransport.allCases.map(\.rawValue)))
        let to = spec.requiredOption("to", placeholder: "ADDR", help: "The sink's address", parse: ValueParsers.string)
        let count = spec.option("count", placeholder: "N", default: "1000", help: "Messages to write",
                                parse: ValueParsers.integer(in: 1...1_000_000))
        let interval = spec.option("interval", placeholder: "DUR", default: "20ms", help: "Time between two messages",
                                   parse: DurationValue.parse)
        let size = WhyUDPPeerSupport.sizeOption(&spec, help: "Bytes per message")
        let window = spec.option("window", placeholder: "N", default: "64", help: "RUDP window in packets",
                                 parse: ValueParsers.integer(in: 1...4_096))
        let arguments = try spec.parse(commandLine)
        let address = try WhyUDPPeerSupport.address(arguments[to], listening: false, program: spec.name)
        SignalNotifier.ignoreSIGPIPE()
        var source = WhyUDPPeerSource(
            count: arguments[count], size: arguments[size], interval: max(arguments[interval].nanoseconds, 1),
            signals: try SignalNotifier.install(),
            message: UnsafeMutableRawBufferPointer.allocate(byteCount: arguments[size], alignment: 8))
        defer { source.message.deallocate() }
        source.sentAt.reserveCapacity(arguments[count])
        var retransmissions: Int?
        var failure: (any Error)?
        do {
            switch WhyUDPTransport(rawValue: arguments[transport])! {
            case .udp: try source.sendDatagrams(to: address)
            case .tcp: try source.sendStream(to: address)
            case .rudpOrdered: retransmissions = try source.sendConnection(to: address, delivery: .ordered, window: arguments[window])
            case .rudpUnordered: retransmissions = try source.sendConnection(to: address, delivery: .unordered,
                                                                             window: arguments[window])
            case .rudpRedundant:
                retransmissions = try source.sendConnection(to: address, delivery: .unordered, window: arguments[window],
                                                            redundancy: 1)
            }
        } catch is PeerStopped {
            failure = RuntimeFailure("stopped by a signal")
        } catch {
            failure = error
        }
        for (index, time) in source.sentAt.enumerated() {
            Console.out(WhyUDPPeerInterface.sentLine(index: index, sentAt: time))
        }
        if let retransmissions { Console.out(WhyUDPPeerInterface.retransmissionsLine(retransmissions)) }
        if let redundantBytes = source.redundantBytes { Console.out(WhyUDPPeerInterface.redundantBytesLine(redundantBytes)) }
        Console.out(WhyUDPPeerInterface.doneLine)
        if let failure { throw failure }
    }

    /// Sleeps until message `index` is due (a signal ends the run).
    func waitForTurn(_ index: Int, start: UInt64) throws {
        _ = try WhyUDPPeerSupport.wait(for: nil, until: start + UInt64(index) * interval, signals: signals)
    }

    /// Stamps message `index` with the current time and notes it; returns the message.
    mutating func write(_ index: Int) -> UnsafeRawBufferPointer {
        let now = MonotonicClock.now()
        MessageStamp.write(index: UInt64(index), sentAt: now, into: message)
        sentAt.append(now)
        return UnsafeRawBufferPointer(message)
    }

    mutating func sendDatagrams(to address: SocketAddress) throws {
        let socket = try UDPSocket(connectedTo: address)
        defer { socket.close() }
        let start = MonotonicClock.now()
        for index in 0..<count {
            try waitForTurn(index, start: start)
            WhyUDPPeerSupport.send(write(index), socket: socket, to: nil)
        }
    }

    mutating func sendStream(to address: SocketAddress) throws {
        let stream = try TCPStream.connect(to: address, timeout: .seconds(30), blocking: true)
        defer { stream.close() }
        try stream.setNoDelay(true)
        let start = MonotonicClock.now()
        for index in 0..<count {
            try waitForTurn(index, start: start)
            try stream.writeAll(write(index))
        }
        // Wait for the sink to close its end: then every byte has arrived.
        try stream.shutdownWrite()
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 256, alignment: 8)
        defer { scratch.deallocate() }
        let deadline = MonotonicClock.now() + 120_000_000_000
        while MonotonicClock.now() < deadline {
            guard try WhyUDPPeerSupport.wait(for: stream.fileDescriptor, until: deadline, signals: signals) else { continue }
            if try stream.read(into: scratch) == 0 { return }
        }
    }

    /// The RUDP stream: messages produced on schedule wait in the application's queue while the
    /// window is full. Returns the retransmission count.
    mutating func sendConnection(to address: SocketAddress, delivery: DeliveryOrder, window: Int, redundancy: Int = 0) throws -> Int {
        let socket = try UDPSocket(connectedTo: address)
        defer { socket.close() }
        _ = socket.setBufferSizes(send: 4 << 20, receive: 4 << 20)
        var configuration = WhyUDPPeerSupport.senderConfiguration(delivery: delivery, window: window,
                                                                  size: UInt64(count * size), name: "why-udp")
        configuration.redundancy = redundancy
        let sender = Sender(configuration: configuration, now: MonotonicClock.now())
        let driver = EndpointDriver(peerSocket: socket, signals: signals)
        driver.add(sender)
        var stream = Stream(source: self, sender: sender)
        // The send log counts even when a signal ends the run.
        defer { self = stream.source }
        try driver.run(&stream)
        if case .failed(let error) = sender.state { throw RuntimeFailure("the RUDP stream failed: \(error)") }
        // Into the copy the deferred assignment gives back.
        if redundancy > 0 { stream.source.redundantBytes = Int(sender.statistics.redundantBytesSent) }
        return sender.statistics.retransmissions
    }

    /// The source on the driver: writes each message when it is due, hands the queue to the
    /// sender as its window opens, and ends once the sink confirmed the stream (or it failed).
    struct Stream: WhyUDPPeerApplication {
        var source: WhyUDPPeerSource
        let sender: Sender
        var hasher = SHA256()
        /// When the connection was up: message 0 is due then, message N N intervals later.
        var start: UInt64?
        /// Messages the sender has taken.
        var accepted = 0
        var writingFinished = false

        var nextDeadline: UInt64? {
            guard let start, source.sentAt.count < source.count else { return nil }
            return start + UInt64(source.sentAt.count) * source.interval
        }

        mutating func afterInput(driver: EndpointDriver, now: UInt64) -> EndpointDriver.Step {
            if sender.state == .transferring {
                if start == nil { start = now }
                while source.sentAt.count < source.count, now >= start! + UInt64(source.sentAt.count) * source.interval {
                    _ = source.write(source.sentAt.count)
                }
                while accepted < source.sentAt.count {
                    MessageStamp.write(index: UInt64(accepted), sentAt: source.sentAt[accepted], into: source.message)
                    guard sender.writeMessage(UnsafeRawBufferPointer(source.message)) else { break }
                    hasher.update(UnsafeRawBufferPointer(source.message))
                    accepted += 1
                }
                if accepted == source.count && !writingFinished {
                    writingFinished = true
                    sender.finishWriting(sha256: hasher.finalize())
                }
            }
            switch sender.state {
            case .finished, .failed: return .stop
            default: return .proceed
            }
        }
    }
}
