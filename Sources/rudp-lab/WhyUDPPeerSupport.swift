import CLIKit
import LabKit
import RUDP
import RUDPNet
import SystemKit
import RUDPSim

/// What the why-udp peers share: the socket loop's waiting, moving an RUDP endpoint's datagrams
/// onto a UDP socket, and telling which endpoint a datagram is for when one socket serves both a
/// sender and a receiver.
enum WhyUDPPeerSupport {
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

    /// Sends everything `endpoint` (a sender or a receiver) has to send now.
    static func flush(_ endpoint: some ConnectionEndpoint, socket: UDPSocket, to peer: SocketAddress?,
                      buffer: UnsafeMutableRawBufferPointer, now: UInt64) {
        while let length = endpoint.pollTransmit(into: buffer, now: now) {
            send(UnsafeRawBufferPointer(rebasing: buffer[0..<length]), socket: socket, to: peer)
        }
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

    /// Whether a packet is one a receiver sends (so a sender must handle it); a reset may be
    /// for either side, and each endpoint checks its connection ID.
    static func isForSender(_ type: PacketType) -> Bool {
        switch type {
        case .synAck, .ack, .finAck, .reset: true
        case .syn, .data, .fin: false
        }
    }

    /// A sender configuration for a peer's RUDP connection.
    static func senderConfiguration(delivery: DeliveryOrder, window: Int, size: UInt64, name: String) -> SenderConfiguration {
        var configuration = SenderConfiguration(
            mode: .selectiveRepeat, mss: 1_200, window: window, maxRetries: 20, connectionID: SystemRandom.uint32(),
            initialSequence: SystemRandom.uint32(), fileName: Array(name.utf8), fileSize: size)
        configuration.delivery = delivery
        return configuration
    }

    /// A receiver for a connection opened by `syn`, already accepted.
    static func acceptConnection(_ syn: PacketView, now: UInt64) -> Receiver? {
        var configuration = ReceiverConfiguration(initialSequence: SystemRandom.uint32())
        configuration.idleTimeout = 30_000_000_000
        guard let receiver = try? Receiver(syn: syn, configuration: configuration, now: now) else { return nil }
        receiver.accept(now: now)
        return receiver
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
