import Foundation
import RUDP
import Testing
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A real rudp-recv under attack while a real transfer runs through it: garbage, packets for
/// connections it does not know, replays of an earlier connection, a handshake flood from
/// thousands of source ports. The transfer must arrive intact, nothing must be written for the
/// attacker, and no address that never completed a handshake may get back more than three
/// times the bytes it sent.
@Suite(.serialized) struct HostileTrafficTests {
    /// Deterministic bytes for the attacks (a SplitMix64 stream).
    struct Noise {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
        mutating func bytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8(truncatingIfNeeded: next()) } }
    }

    /// A receiver, a file and a background sender of it; `check` then confirms it arrived intact.
    struct TransferUnderAttack {
        let fixture: ReceiverFixture
        let original: Data
        let send: BackgroundRun
        var receiver: RunningReceiver { fixture.receiver }

        init(size: Int, protocolName: String = "sr", receiverArguments: [String] = []) throws {
            fixture = try ReceiverFixture(receiverArguments: ["--json"] + receiverArguments)
            original = try fixture.scratch.randomFile("payload.bin", size: size)
            send = BackgroundRun("rudp-send", [fixture.scratch.file("payload.bin").path, fixture.receiver.address,
                                               "--protocol", protocolName, "--quiet"])
        }

        func checkDelivered() throws {
            let result = send.wait()
            #expect(result?.status == 0, "rudp-send: \(result?.stderr ?? "did not finish")")
            #expect(try fixture.received("payload.bin") == original)
            #expect(receiver.process.isRunning, "the receiver survived")
        }

        func finish() { fixture.finish() }
    }

    @Test func garbageDatagramsAreIgnoredWhileATransferCompletes() throws {
        let attack = try TransferUnderAttack(size: 3_000_000)
        defer { attack.finish() }
        let peer = try HostilePeer()
        var noise = Noise(state: 1)
        let valid = ForgedPacket.data(connectionID: 7, sequence: 1, echo: 1, payload: noise.bytes(100))
        for index in 0..<20_000 {
            var datagram: [UInt8]
            switch index % 4 {
            case 0: datagram = noise.bytes(noise.below(1_500))  // anything, empty included
            case 1:
                // Looks like a header (version 1, a known type, plausible lengths) with a wrong CRC.
                datagram = noise.bytes(36 + noise.below(200))
                datagram[0] = 1
                datagram[1] = UInt8(1 + noise.below(7))
                datagram[3] = 0
                datagram[28] = 0
                datagram[29] = UInt8(datagram.count - 36)
            case 2:
                datagram = valid  // one bit flipped: the CRC must catch it
                let bit = noise.below(datagram.count * 8)
                datagram[bit / 8] ^= 1 << UInt8(bit % 8)
            default:
                datagram = Array(valid.prefix(noise.below(valid.count)))  // truncated
            }
            peer.send(datagram, to: attack.receiver.port)
        }
        peer.collect(for: 0.5)
        #expect(peer.datagramsSent >= 19_000)
        #expect(peer.bytesReceived == 0, "garbage is never answered")
        try attack.checkDelivered()
        #expect(attack.fixture.incomingContents() == ["payload.bin"])
    }

    @Test func unknownConnectionsGetOneShortResetEach() throws {
        let attack = try TransferUnderAttack(size: 3_000_000)
        defer { attack.finish() }
        var noise = Noise(state: 2)
        var peers: [HostilePeer] = []
        for _ in 0..<10 { peers.append(try HostilePeer()) }
        let types: [PacketType] = [.data, .ack, .fin, .finAck, .synAck]
        for index in 0..<3_000 {
            let header = PacketHeader(type: types[index % types.count], connectionID: UInt32(truncatingIfNeeded: noise.next()),
                                      sequence: SequenceNumber(UInt32(truncatingIfNeeded: noise.next())), timestamp: 1)
            peers[index % peers.count].send(ForgedPacket.packet(header, payload: noise.bytes(noise.below(3))), to: attack.receiver.port)
        }
        for peer in peers {
            peer.collect(for: 0.3)
            #expect(peer.bytesReceived <= 3 * peer.bytesSent, "amplification: \(peer.bytesReceived) for \(peer.bytesSent)")
            for (header, payload) in peer.decodedReplies {
                #expect(header.type == .reset)
                let reset = payload.withUnsafeBytes { try? ResetPayload(decoding: $0) }
                #expect(reset?.code == .unknownConnection)
            }
            for reply in peer.replies { #expect(reply.count <= 3 * 36, "each reply at most 3 × the smallest packet") }
        }
        #expect(peers.reduce(0) { $0 + $1.replies.count } > 2_000, "most are answered, so a restarted receiver's senders learn it")
        try attack.checkDelivered()
        #expect(attack.fixture.incomingContents() == ["payload.bin"])
    }

    @Test func replayingAnEarlierConnectionWritesNothing() throws {
        let fixture = try ReceiverFixture(receiverArguments: ["--json", "--idle-timeout", "1s", "--overwrite"])
        defer { fixture.finish() }
        let (scratch, incoming, receiver) = (fixture.scratch, fixture.incoming, fixture.receiver)
        let original = try scratch.randomFile("payload.bin", size: 400_000)
        let relay = try RecordingRelay(toReceiverPort: receiver.port)
        let sent = try ProgramRunner.run("rudp-send", [scratch.file("payload.bin").path, relay.address, "--quiet"])
        relay.stop()
        #expect(sent.status == 0, "stderr: \(sent.stderr)")
        #expect(try fixture.received("payload.bin") == original)
        let recorded = relay.recorded
        #expect(recorded.count > 300)

        // The file is taken away; once the connection's linger is over, its packets come back.
        // The linger is eight of the sender's timeouts (at least 50 ms each; a congestion-
        // controlled sender's is at least twice its RTT), and at least 250 ms.
        try FileManager.default.removeItem(at: incoming.appendingPathComponent("payload.bin"))
        usleep(2_500_000)
        let stranger = try HostilePeer()
        for datagram in recorded {
            relay.back.send(datagram, to: receiver.port)  // from the original source address
            stranger.send(datagram, to: receiver.port)    // and from another one
        }
        relay.back.collect(for: 2.5)
        stranger.collect(for: 0.1)
        #expect(fixture.incomingContents().isEmpty, "a replay creates no file, not even a temporary one")
        // Nothing of the replay is acknowledged beyond the first flight a half-open connection
        // holds (16 packets, never delivered); the original address may hear the old transfer's
        // FIN-ACK again, another address never does.
        let syn = try #require(recorded.lazy.compactMap { bytes in
            bytes.withUnsafeBytes { try? PacketView.decode($0).header }
        }.first { $0.type == .syn })
        for peer in [relay.back, stranger] {
            let acknowledged = peer.decodedReplies.filter { $0.header.type == .ack }.map {
                $0.header.acknowledgement.distance(from: syn.sequence + 1)
            }
            #expect(acknowledged.allSatisfy { $0 <= 16 }, "replayed DATA is not acknowledged beyond a first flight: \(acknowledged.max() ?? 0)")
        }
        #expect(stranger.decodedReplies.allSatisfy { $0.header.type != .finAck })
        #expect(stranger.bytesReceived <= 3 * stranger.bytesSent)
        let lines = receiver.stdout.snapshot().split(separator: "\n")
        #expect(lines.count == 1, "one transfer reported, the real one: \(lines)")
    }

    @Test func transfersCompleteIntactDuringAHandshakeFloodFromThousandsOfPorts() throws {
        let fixture = try ReceiverFixture(receiverArguments: ["--idle-timeout", "5s"])
        defer { fixture.finish() }
        let (scratch, receiver) = (fixture.scratch, fixture.receiver)
        let before = residentBytes(of: receiver.process)
        // Half-open entries expire after 5 s (the idle timeout, and the half-open default); the
        // 10,000 SYNs come faster than that, so they overflow the 4,096 half-open places and the
        // oldest are evicted (on a slow machine some expire first: they are gone either way).
        let flood = HandshakeFlood(port: receiver.port, minimumPorts: 10_000)
        // Real transfers, one after another, each with its handshake in the middle of the flood.
        var originals: [String: Data] = [:]
        for (index, protocolName) in ["sr", "gbn", "sw", "sr", "tcp"].enumerated() {
            let name = "real-\(index).bin"
            originals[name] = try scratch.randomFile(name, size: protocolName == "sw" ? 100_000 : 1_000_000)
            let result = try ProgramRunner.run("rudp-send", [scratch.file(name).path, receiver.address, "--protocol", protocolName,
                                                             "--quiet"], timeout: 30)
            #expect(result.status == 0, "\(name) over \(protocolName): \(result.stderr)")
        }
        let during = residentBytes(of: receiver.process)
        let tally = flood.stop()
        #expect(tally.ports >= 10_000, "the flood came from \(tally.ports) source ports")
        #expect(tally.amplified == 0, "no flooding port got more than 3× its bytes back")
        #expect(tally.synAcks * 10 > tally.ports * 9,
                "old half-open entries make room for new ones: \(tally.synAcks) SYN-ACKs for \(tally.ports) SYNs")
        if let before, let during {
            #expect(during - before < 200 << 20, "resident memory grew by \((during - before) >> 20) MiB")
        }
        for (name, data) in originals {
            #expect(try fixture.received(name) == data, "\(name)")
        }
        #expect(fixture.incomingContents() == originals.keys.sorted(), "the flood wrote nothing")
        #expect(receiver.process.isRunning)

        // The oldest flooding handshakes were evicted: completing one now finds no connection.
        // The newest are still there: completing one starts a transfer (then cancelled).
        for (peer, connection, synAck) in flood.oldest {
            peer.send(ForgedPacket.data(connectionID: connection, sequence: UInt32.max - 4, echo: synAck.timestamp, payload: [1]),
                      to: receiver.port)
            peer.collect(for: 1) { $0.replies.count > 1 }
            let reset = peer.decodedReplies.last.flatMap { reply in reply.payload.withUnsafeBytes { try? ResetPayload(decoding: $0) } }
            #expect(reset?.code == .unknownConnection, "an evicted handshake: \(String(describing: reset))")
        }
        for (peer, connection, synAck) in flood.newest {
            peer.send(ForgedPacket.data(connectionID: connection, sequence: UInt32.max - 4, echo: synAck.timestamp, payload: [1]),
                      to: receiver.port)
            peer.collect(for: 1) { $0.replies.count > 1 }
            #expect(peer.decodedReplies.last?.header.type == .ack, "a recent handshake completes")
            let reset = ResetPayload(code: .cancelled, message: "test over").encoded()
            peer.send(ForgedPacket.packet(PacketHeader(type: .reset, connectionID: connection, timestamp: 1), payload: reset),
                      to: receiver.port)
        }
        let deadline = Date().addingTimeInterval(5)
        while fixture.incomingContents() != originals.keys.sorted() && Date() < deadline { usleep(20_000) }
        #expect(fixture.incomingContents() == originals.keys.sorted(), "cancelled ones left nothing")
    }

    @Test func aHalfOpenConnectionIsNotAnAmplifier() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let receiver = try RunningReceiver(directory: scratch.url, arguments: ["--idle-timeout", "2s"])
        defer { receiver.stop() }
        let peer = try HostilePeer()
        let connection: UInt32 = 0xABCD_0001
        let isn: UInt32 = 1_000
        peer.send(ForgedPacket.syn(connectionID: connection, isn: isn, name: "half-open.bin"), to: receiver.port)
        peer.collect(for: 2) { !$0.replies.isEmpty }
        let synAck = try #require(peer.decodedReplies.first { $0.header.type == .synAck }?.header)
        // Tiny DATA packets that do not echo the SYN-ACK: a spoofer's, who never saw it.
        for index in 0..<200 {
            peer.send(ForgedPacket.data(connectionID: connection, sequence: isn + 1 + UInt32(index % 40) * 2,
                                        echo: synAck.timestamp &+ 1 &+ UInt32(index), payload: [1]), to: receiver.port)
        }
        peer.collect(for: 0.5)
        #expect(peer.decodedReplies.allSatisfy { $0.header.type != .ack }, "no ACK before the handshake completes")
        #expect(peer.bytesReceived <= 3 * peer.bytesSent)
        #expect(ScratchDirectory(existing: scratch.url).contents().isEmpty, "no file for an unproven peer")

        // The real peer echoes the SYN-ACK: now it is answered, and its file exists.
        peer.send(ForgedPacket.data(connectionID: connection, sequence: isn + 1, echo: synAck.timestamp, payload: [1]),
                  to: receiver.port)
        peer.collect(for: 2) { $0.decodedReplies.contains { $0.header.type == .ack } }
        #expect(peer.decodedReplies.contains { $0.header.type == .ack }, "a validated peer is acknowledged")
        #expect(ScratchDirectory(existing: scratch.url).contents().count == 1, "its temporary file exists")
        let reset = ResetPayload(code: .cancelled, message: "test over").encoded()
        peer.send(ForgedPacket.packet(PacketHeader(type: .reset, connectionID: connection, timestamp: 1), payload: reset),
                  to: receiver.port)
        let deadline = Date().addingTimeInterval(5)
        while !ScratchDirectory(existing: scratch.url).contents().isEmpty && Date() < deadline { usleep(20_000) }
        #expect(ScratchDirectory(existing: scratch.url).contents().isEmpty, "the RST removed the temporary file")
    }

    @Test func aRefusalIsShortEnoughToNeverAmplify() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let receiver = try RunningReceiver(directory: scratch.url)
        defer { receiver.stop() }
        // Short SYNs whose refusals have long reasons (each names the file and explains the rule).
        for (index, name) in ["/", "a\u{1}", ".", "..", "\\", String(repeating: "é", count: 40) + "/"].enumerated() {
            let peer = try HostilePeer()
            for _ in 0..<3 { peer.send(ForgedPacket.syn(connectionID: UInt32(index + 1), name: name), to: receiver.port) }
            peer.collect(for: 2) { $0.replies.count >= 3 }
            #expect(!peer.replies.isEmpty, "refused '\(name)'")
            #expect(peer.bytesReceived <= 3 * peer.bytesSent, "'\(name)': \(peer.bytesReceived) bytes for \(peer.bytesSent)")
            let reset = peer.decodedReplies.first.flatMap { reply in reply.payload.withUnsafeBytes { try? ResetPayload(decoding: $0) } }
            #expect(reset?.code == .unsafeName && reset?.message.contains("refused") == true, "\(String(describing: reset))")
        }
        #expect(ScratchDirectory(existing: scratch.url).contents().isEmpty)
    }

    @Test func garbageOnTheTCPPortIsTurnedAwayWhileATransferCompletes() throws {
        let attack = try TransferUnderAttack(size: 2_000_000, protocolName: "tcp")
        defer { attack.finish() }
        var noise = Noise(state: 4)
        for index in 0..<100 {
            // Garbage; a valid magic with an absurd name length; a valid header then garbage chunks.
            var bytes = noise.bytes(1 + noise.below(2_000))
            if index % 3 == 1 { bytes = Array("RUDPTCP1".utf8) + [0xFF, 0xFF] + bytes }
            if index % 3 == 2 {
                bytes = Array("RUDPTCP1".utf8) + [0, 3] + Array("x.y".utf8) + [UInt8](repeating: 0, count: 8)
                    + [0xFF, 0xFF, 0xFF, 0xFF] + bytes
            }
            let answer = try TCPProbe.exchange(bytes, port: attack.receiver.port, timeout: 5)
            #expect(answer.closed, "connection \(index) is closed by the receiver")
            #expect(answer.lastStatusCode.map { $0 != 0 } ?? true, "the last word is a refusal: \(answer.bytes.prefix(80))")
        }
        try attack.checkDelivered()
        #expect(attack.fixture.incomingContents() == ["payload.bin"], "garbage wrote nothing")
    }

    @Test func anUnorderedDeliveryOfferIsRefusedForAFile() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let receiver = try RunningReceiver(directory: scratch.url)
        defer { receiver.stop() }
        let peer = try HostilePeer()
        var offer = SynPayload(mode: .selectiveRepeat, mss: 1200, window: 64, fileSize: 10, name: Array("messages.bin".utf8))
        offer.delivery = .unordered  // packets would be handed over, and written, in arrival order
        peer.send(ForgedPacket.packet(PacketHeader(type: .syn, connectionID: 99, sequence: SequenceNumber(5), timestamp: 1),
                                      payload: offer.encoded()), to: receiver.port)
        peer.collect(for: 2) { !$0.replies.isEmpty }
        let reset = peer.decodedReplies.first.flatMap { reply in reply.payload.withUnsafeBytes { try? ResetPayload(decoding: $0) } }
        #expect(reset?.code == .protocolViolation, "\(String(describing: reset))")
        #expect(ScratchDirectory(existing: scratch.url).contents().isEmpty)
    }
}

/// SYNs from ever new source ports, each asking for the largest buffer it can, on a thread of
/// its own until stopped; counts the replies per port.
final class HandshakeFlood: @unchecked Sendable {
    struct Tally {
        var ports = 0
        var synAcks = 0
        /// Ports that got back more than three times what they sent.
        var amplified = 0
    }

    private let lock = NSLock()
    private var stopRequested = false
    private var tally = Tally()
    private let finished = DispatchSemaphore(value: 0)
    /// A few of the first and of the last flooding ports, kept open with their SYN-ACKs.
    private(set) var oldest: [(HostilePeer, UInt32, PacketHeader)] = []
    private(set) var newest: [(HostilePeer, UInt32, PacketHeader)] = []

    init(port: Int, minimumPorts: Int) {
        Thread { [self] in
            var noise = HostileTrafficTests.Noise(state: 3)
            while !(lock.withLock { stopRequested && tally.ports >= minimumPorts }) {
                var peers: [(HostilePeer, UInt32)] = []
                for _ in 0..<100 {
                    guard let peer = try? HostilePeer() else { continue }
                    let connection = UInt32(truncatingIfNeeded: noise.next())
                    peer.send(ForgedPacket.syn(connectionID: connection, name: "flood-\(connection).bin", mss: 65_000,
                                               window: 16_384), to: port)
                    peers.append((peer, connection))
                }
                usleep(2_000)
                var batch = Tally()
                var kept: [(HostilePeer, UInt32, PacketHeader)] = []
                for (peer, connection) in peers {
                    peer.collect(for: 0.05) { !$0.replies.isEmpty }
                    batch.ports += 1
                    if peer.bytesReceived > 3 * peer.bytesSent { batch.amplified += 1 }
                    if let synAck = peer.decodedReplies.first(where: { $0.header.type == .synAck })?.header {
                        batch.synAcks += 1
                        if kept.count < 5 { kept.append((peer, connection, synAck)) }
                    }
                }
                if oldest.isEmpty { oldest = kept }
                newest = kept
                lock.withLock {
                    tally.ports += batch.ports
                    tally.synAcks += batch.synAcks
                    tally.amplified += batch.amplified
                }
            }
            finished.signal()
        }.start()
    }

    /// Stops the flood (once it reached its minimum number of ports) and returns the counts.
    func stop() -> Tally {
        lock.withLock { stopRequested = true }
        finished.wait()
        return lock.withLock { tally }
    }
}

/// A plain TCP client for hostile tests: connects to 127.0.0.1, sends bytes, reads until the
/// server closes (or the timeout).
enum TCPProbe {
    struct Answer {
        var bytes: [UInt8]
        var closed: Bool

        /// The code of the last whole STATUS (code u8, message length u16, message) received.
        var lastStatusCode: UInt8? {
            var offset = 0, last: UInt8?
            while offset + 3 <= bytes.count {
                let length = Int(bytes[offset + 1]) << 8 | Int(bytes[offset + 2])
                guard offset + 3 + length <= bytes.count else { break }
                last = bytes[offset]
                offset += 3 + length
            }
            return last
        }
    }

    static func exchange(_ bytes: [UInt8], port: Int, timeout: Double) throws -> Answer {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw HostilePeerError("socket: errno \(errno)") }
        defer { close(descriptor) }
        var address = HostilePeer.loopback(port: UInt16(port))
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw HostilePeerError("connect: errno \(errno)") }
        _ = bytes.withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        var answer = Answer(bytes: [], closed: false)
        var buffer = [UInt8](repeating: 0, count: 4_096)
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            var descriptorSet = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptorSet, 1, 50) > 0 else { continue }
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count <= 0 {
                answer.closed = true  // EOF, or reset
                break
            }
            answer.bytes += buffer[0..<count]
        }
        return answer
    }
}
