import CLIKit
import LabKit
import RUDP
import RUDPNet
import SystemKit
import RUDPSim

/// What the why-udp peers share: the UDP and TCP variants' waiting and datagrams, and the RUDP
/// variants' connection settings (their loop is RUDPNet's `EndpointDriver`).
enum WhyUDPPeerSupport {
    /// `--transport udp|tcp|rudp` (default udp); `help` says what it means for this peer.
    static func transportOption(_ spec: inout CommandSpec, help: String) -> OptionKey<String> {
        spec.option("transport", placeholder: WhyUDPExchange.allCases.map(\.rawValue).joined(separator: "|"), default: "udp", help: help,
                    parse: ValueParsers.choice(WhyUDPExchange.allCases.map(\.rawValue)))
    }

    /// `--listen ADDR` (default 127.0.0.1:0), for the peers that wait to be reached.
    static func listenOption(_ spec: inout CommandSpec) -> OptionKey<String> {
        spec.option("listen", placeholder: "ADDR", default: "127.0.0.1:0", help: "Where to listen", parse: ValueParsers.string)
    }

    /// `--size BYTES` (default 100): from the smallest stamped message to the 1,200 one datagram holds.
    static func sizeOption(_ spec: inout CommandSpec, help: String) -> OptionKey<Int> {
        spec.option("size", placeholder: "BYTES", default: "100", help: help,
                    parse: ValueParsers.integer(in: MessageStamp.minimumSize...1_200))
    }

    /// `--response-size BYTES` (default: `--size`), the echo's answers.
    static func responseSizeOption(_ spec: inout CommandSpec) -> OptionKey<Int?> {
        spec.option("response-size", placeholder: "BYTES", defaultHelp: "--size", help: "Bytes per response",
                    parse: ValueParsers.integer(in: MessageStamp.minimumSize...1_200))
    }

    /// Waits until `fileDescriptor` is readable, `deadline` passes, or a signal arrives.
    /// Returns whether the descriptor is readable; throws when a signal stopped the peer.
    static func wait(for fileDescriptor: Int32?, until deadline: UInt64?, signals: SignalNotifier) throws -> Bool {
        var poller = Poller(capacity: 2)
        let signalIndex = poller.add(signals.readFileDescriptor, interest: .readable)
        let socketIndex = fileDescriptor.map { poller.add($0, interest: .readable) }
        _ = try poller.wait(until: deadline)
        if !poller.events(at: signalIndex).isEmpty || signals.pendingSignal != nil { throw PeerStopped() }
        return socketIndex.map { !poller.events(at: $0).isEmpty } ?? false
    }

    /// One datagram, to `peer` or the connected address; a full buffer or an ICMP error drops
    /// it as the lossy link would, and the protocol recovers.
    static func send(_ bytes: UnsafeRawBufferPointer, socket: UDPSocket, to peer: SocketAddress?) {
        if let peer {
            _ = try? socket.send(bytes, to: peer)
        } else {
            _ = try? socket.send(bytes)
        }
    }

    /// Hands every queued datagram to `body`; ICMP errors for earlier datagrams are skipped.
    static func receiveAll(_ socket: UDPSocket, buffer: UnsafeMutableRawBufferPointer,
                           _ body: (UnsafeRawBufferPointer, SocketAddress) -> Void) throws {
        while true {
            let received: (count: Int, from: SocketAddress)?
            do {
                received = try socket.receive(into: buffer)
            } catch where error.isConnectionRefused {
                continue
            }
            guard let received else { return }
            body(UnsafeRawBufferPointer(rebasing: buffer[0..<received.count]), received.from)
        }
    }

    /// Consecutive timeouts of one packet a peer's sender tolerates (the simulated why-udp's too).
    static let maxRetries = MessageSenderDefaults.maxRetries

    /// A sender configuration for a peer's RUDP connection (the default MSS, 1200 bytes, holds
    /// any message size the peers take).
    static func senderConfiguration(delivery: DeliveryOrder, window: Int, size: UInt64, name: String) -> SenderConfiguration {
        var configuration = SenderConfiguration(
            mode: .selectiveRepeat, window: window, maxRetries: maxRetries, connectionID: SystemRandom.uint32(),
            initialSequence: SystemRandom.uint32(), fileName: Array(name.utf8), fileSize: size)
        configuration.delivery = delivery
        return configuration
    }

    /// Hands `message` to `sender` as all it will carry, closed by its digest; false while the
    /// sender cannot take it yet (not connected).
    static func writeOnlyMessage(_ message: UnsafeRawBufferPointer, to sender: Sender) -> Bool {
        guard sender.state == .transferring, sender.writeMessage(message) else { return false }
        var hasher = SHA256()
        hasher.update(message)
        sender.finishWriting(sha256: hasher.finalize())
        return true
    }

    /// Whether `sender` is over: its stream confirmed, or failed.
    static func hasEnded(_ sender: Sender) -> Bool {
        switch sender.state {
        case .finished, .failed: true
        default: false
        }
    }

    /// The receiving side of a peer's socket, for the connections the other peer opens: address
    /// validation and the amplification limit as rudp-recv has them. Its connections stay up to
    /// 30 s without a packet, longer than any of the peers' pauses.
    static func receiverEndpoint() -> ReceiverEndpoint {
        var receiver = ReceiverConfiguration(initialSequence: 0)
        receiver.idleTimeout = 30_000_000_000
        return ReceiverEndpoint(configuration: ReceiverEndpointConfiguration(receiver: receiver), random: SystemRandom.uint64)
    }

    /// The SHA-256 of `count` messages of `size` bytes rebuilt from their stamps, in index order
    /// (as the sending peer hashed them), or nil while any is missing.
    static func digest(sentAt: [UInt64?], size: Int) -> SHA256Digest? {
        let message = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 8)
        defer { message.deallocate() }
        var hasher = SHA256()
        for (index, stamp) in sentAt.enumerated() {
            guard let stamp else { return nil }
            MessageStamp.write(index: UInt64(index), sentAt: stamp, into: message)
            hasher.update(UnsafeRawBufferPointer(message))
        }
        return hasher.finalize()
    }

    /// Parses `ADDR`, as a usage error when it is wrong.
    static func address(_ text: String, listening: Bool, program: String) throws -> SocketAddress {
        do {
            return try SocketAddress.parse(text, forListening: listening)
        } catch {
            throw UsageError(program: program, message: "\(listening ? "--listen" : "--to"): \(error)")
        }
    }
}

/// A peer was stopped by SIGINT or SIGTERM: it prints what it has and exits.
struct PeerStopped: Error {}

/// A peer cannot do its part; the message is the line it prints.
struct WhyUDPPeerFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A peer's RUDP side on an `EndpointDriver` that watches only the signal notifier's descriptor:
/// that descriptor turning readable means SIGINT or SIGTERM arrived.
protocol WhyUDPPeerApplication: EndpointApplication {}

extension WhyUDPPeerApplication {
    func descriptorReady(_ fileDescriptor: Int32, driver: EndpointDriver, now: UInt64) throws {
        throw PeerStopped()
    }
}

extension EndpointDriver {
    /// A driver for a peer's `socket`, woken by `signals` too.
    convenience init(peerSocket socket: UDPSocket, endpoint: ReceiverEndpoint? = nil, signals: SignalNotifier) {
        self.init(socket: socket, endpoint: endpoint, watching: [signals.readFileDescriptor])
    }
}
