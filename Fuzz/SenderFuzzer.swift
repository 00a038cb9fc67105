// libFuzzer target: the Sender state machine, with each congestion controller, fed arbitrary
// receiver datagrams, application writes and clock steps, in any order.
//
// Checked after every step: everything it transmits decodes and belongs to the connection;
// DATA carries exactly the application's bytes for its index and stays inside the window; the
// FIN announces the true size and digest; it reports success only once every packet was
// acknowledged and a FIN-ACK for its FIN arrived; it never spins (a deadline that has passed
// is acted on), and it never goes silent while something is outstanding (a deadline exists).

@_cdecl("LLVMFuzzerTestOneInput")
public func senderFuzzerEntry(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = FuzzInput(UnsafeRawBufferPointer(start: data, count: size))
    var harness = SenderHarness(&input)
    harness.run(&input)
    return 0
}

private let forge = PacketForge()
/// Where the state machine writes its datagrams (one buffer for the whole run).
private let outgoing = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)

private struct SenderHarness {
    let sender: Sender
    let configuration: SenderConfiguration
    let space: SequenceSpace
    let fileSize: Int
    var now: UInt64 = 0
    /// The data of every well-formed PATH-CHALLENGE of the connection forged so far.
    var challengesDelivered = Set<UInt64>()
    var written = 0
    var finishedWriting = false
    var finSent = false
    var finAckSeen = false

    init(_ input: inout FuzzInput) {
        let mode = TransferMode.allCases[input.below(3)]
        let mss = input.chance(4) ? input.within(1...1_500) : input.within(1...40)
        let window = input.within(1...40)
        fileSize = input.chance(8) ? 0 : input.below(mss * 3 * window + 2)
        var configuration = SenderConfiguration(
            mode: mode, mss: mss, window: window,
            retransmission: input.chance(4) ? .fixed(UInt64(input.within(1...1_000)) * 1_000_000) : .adaptive,
            maxRetries: input.below(6), connectionID: input.integer(), initialSequence: input.initialSequence(),
            fileName: Array("fuzz.bin".utf8), fileSize: input.chance(4) ? nil : UInt64(fileSize))
        configuration.fastRetransmitThreshold = input.within(1...4)
        // Drawn after the rest, so the corpus's earlier inputs keep their meaning.
        configuration.congestionControl = CongestionAlgorithm.allCases[input.below(CongestionAlgorithm.allCases.count)]
        // 0-RTT: the first packet in the SYN, a token to present.
        configuration.sendsEarlyData = input.chance(3)
        if input.chance(3) { configuration.addressToken = input.bytes(upTo: 30) }
        // Redundancy (Selective Repeat): copies of unacknowledged packets in DATA that has room.
        if input.chance(3) { configuration.redundancy = input.within(1...3) }
        self.configuration = configuration
        sender = Sender(configuration: configuration, now: 0)
        space = SequenceSpace(origin: SequenceNumber(configuration.initialSequence) + 1)
    }

    mutating func run(_ input: inout FuzzInput) {
        // Early data is what the application wrote before the SYN first went out.
        if configuration.sendsEarlyData && input.chance(2) {
            write(&input)
            if written == fileSize && input.chance(2) {
                finishedWriting = true
                sender.finishWriting(sha256: FuzzContent.digest(size: fileSize))
            }
        }
        drain()
        var steps = 0
        while !input.isExhausted && steps < 4_000 {
            steps += 1
            switch input.below(10) {
            case 0, 1: write(&input)
            case 2: advanceTime(input.timeStep())
            case 3: if let deadline = sender.nextDeadline { advanceTime(deadline > now ? deadline - now : 0) }
            case 4, 5, 6: deliver(forgedReply(&input))
            case 7: deliver(forge.raw(input.bytes(upTo: input.below(120)), repairChecksum: input.chance(2) == false))
            case 8:
                if input.chance(16) { sender.abort(code: .cancelled, message: "fuzz abort") }
            default:
                if written == fileSize && !finishedWriting {
                    finishedWriting = true
                    sender.finishWriting(sha256: FuzzContent.digest(size: fileSize))
                }
            }
            // As the real driver does after every wake-up: timers, then everything it has to send.
            sender.handleTimeout(now: now)
            drain()
            checkState()
        }
    }

    // MARK: Inputs

    mutating func write(_ input: inout FuzzInput) {
        guard written < fileSize, !finishedWriting else { return }
        let count = min(fileSize - written, input.below(3 * sender.mss + 1))
        let bytes = FuzzContent.bytes(from: written, count: count)
        let room = sender.writableBytes
        let taken = bytes.withUnsafeBytes { sender.write($0) }
        fuzzCheck(taken <= count && taken <= max(room, 0), "write took \(taken) of \(count) with \(room) writable")
        written += taken
    }

    mutating func advanceTime(_ step: UInt64) { now += step }

    mutating func deliver(_ datagram: UnsafeRawBufferPointer) {
        if let packet = try? PacketView.decode(datagram), packet.header.type == .finAck,
           packet.header.connectionID == configuration.connectionID, finSent,
           packet.header.acknowledgement == space.wire(sender.filled) + 1 {
            // noted before handling: the only packet that may turn the sender into .finished
            finAckSeen = true
        }
        sender.handle(datagram: datagram, now: now)
    }

    /// A receiver packet aimed at the sender's current position, every field perturbable.
    mutating func forgedReply(_ input: inout FuzzInput) -> UnsafeRawBufferPointer {
        var header = PacketForge.header(&input, connectionID: input.chance(16) ? input.integer() : configuration.connectionID)
        let typeChoice = input.below(10)
        header.type = typeChoice < 5 ? .ack : [PacketType.synAck, .synAck, .finAck, .reset, header.type][typeChoice - 5]
        if input.chance(12) { header.type = .pathChallenge }
        switch header.type {
        case .synAck:
            if !input.chance(8) { header.acknowledgement = space.wire(0) }
        case .finAck:
            if !input.chance(4) { header.acknowledgement = space.wire(sender.filled) + 1 }
        default:
            // Mostly plausible acknowledgements (all sent, part of it, around the window), sometimes anything.
            let span = Int(sender.next - sender.base)
            switch input.below(6) {
            case 0, 1: header.acknowledgement = space.wire(sender.next)
            case 2: header.acknowledgement = space.wire(sender.base + UInt64(input.below(span + 1)))
            case 3: header.acknowledgement = space.wire(UInt64(max(0, Int64(sender.base) + Int64(input.below(2 * sender.window + 8)) - 4)))
            case 4: header.acknowledgement = space.wire(sender.base)
            default: break
            }
        }
        if !input.chance(8) { header.window = input.chance(2) ? UInt32(sender.window) : UInt32(input.below(2 * sender.window + 2)) }
        if !input.chance(4) {
            header.timestampEcho = input.chance(4) ? 0 : WireClock.timestamp(now &- min(now, input.timeStep()))
        }
        var sacks: [SackBlock] = []
        if header.type == .ack {
            for _ in 0..<input.below(input.chance(16) ? 33 : 5) {
                let start = sender.base + UInt64(input.below(2 * sender.window + 4))
                let end = start + UInt64(input.below(sender.window + 2))
                sacks.append(input.chance(16) ? SackBlock(start: SequenceNumber(input.integer()), end: SequenceNumber(input.integer()))
                                              : SackBlock(start: space.wire(start), end: space.wire(end)))
            }
        }
        var payload: [UInt8] = []
        switch header.type {
        case .synAck:
            var answer = SynAckPayload(mss: input.within(1...2 * sender.mss), window: UInt32(input.within(0...2 * sender.window)))
            if input.chance(2) {
                answer.tookEarlyData = input.chance(2)
                if input.chance(2) { answer.response = input.bytes(upTo: 40) }
                answer.responseFollows = input.chance(4)
                if input.chance(2) { answer.addressToken = input.bytes(upTo: 30) }
            }
            payload = input.chance(8) ? input.bytes(upTo: 12) : answer.encoded()
        case .pathChallenge:
            payload = input.chance(8) ? input.bytes(upTo: 12) : PathPayload(data: input.integer()).encoded()
            if payload.count == PathPayload.size, header.connectionID == configuration.connectionID {
                challengesDelivered.insert(payload.withUnsafeBytes { $0.readBigEndian(0, as: UInt64.self) })
            }
        case .reset:
            payload = input.chance(4) ? input.bytes(upTo: 40)
                : ResetPayload(code: .integrityFailure, message: String(decoding: input.bytes(upTo: 20), as: UTF8.self)).encoded()
        default:
            if input.chance(16) { payload = input.bytes(upTo: 50) }
        }
        return forge.packet(header, sacks: sacks, payload: payload)
    }

    // MARK: Checks

    mutating func drain() {
        var count = 0
        while let length = sender.pollTransmit(into: outgoing, now: now) {
            count += 1
            fuzzCheck(count < 100_000, "pollTransmit never returns nil")
            check(UnsafeRawBufferPointer(rebasing: outgoing[0..<length]))
        }
    }

    mutating func check(_ datagram: UnsafeRawBufferPointer) {
        guard let packet = decodeOutput(datagram, of: "sender") else { return }
        let header = packet.header
        fuzzCheck(header.connectionID == configuration.connectionID, "foreign connection ID")
        fuzzCheck(header.timestamp != 0, "zero timestamp")
        switch header.type {
        case .syn:
            fuzzCheck(header.sequence.rawValue == configuration.initialSequence, "SYN sequence is not the ISN")
            let syn = try? SynPayload(decoding: packet.payload)
            fuzzCheck(syn?.mode == configuration.mode && syn?.name == configuration.fileName, "SYN payload")
            if let early = syn?.earlyData {
                // Packet 0, complete: a full MSS, or everything the application wrote before closing.
                fuzzCheck(configuration.sendsEarlyData && early.count <= sender.mss
                          && (early.count == sender.mss || (finishedWriting && early.count == written)), "SYN early data size")
                fuzzCheck(early == FuzzContent.bytes(from: 0, count: early.count), "SYN early data is not packet 0")
            }
        case .data:
            // Go-Back-N and Selective Repeat send the FIN right behind their last DATA packet and
            // may resend data after it; stop-and-wait sends it once everything is acknowledged.
            fuzzCheck(!finSent || configuration.mode != .stopAndWait, "DATA after the FIN")
            let index = space.index(of: header.sequence, near: sender.base)
            fuzzCheck(index != nil, "DATA before the first packet")
            let position = index!
            fuzzCheck(position >= sender.base && position < sender.next, "DATA \(position) outside [base \(sender.base), next \(sender.next))")
            if sender.state == .connecting {
                fuzzCheck(position < sender.firstFlightPackets, "DATA \(position) before the SYN-ACK beyond the first flight")
            }
            fuzzCheck(position < sender.base + UInt64(sender.window), "DATA beyond the window")
            let length = packet.payload.count
            fuzzCheck(length >= 1 && length <= sender.mss, "DATA of \(length) bytes, MSS \(sender.mss)")
            let offset = Int(position) * sender.mss
            fuzzCheck(offset + length <= written, "DATA beyond the bytes written")
            fuzzCheck(length == sender.mss || offset + length == written, "a short DATA packet that is not the last")
            for (at, byte) in packet.payload.enumerated() where byte != FuzzContent.byte(at: offset + at) {
                fuzzCheck(false, "DATA \(position) carries the wrong byte at \(at)")
            }
        case .fin:
            fuzzCheck(finishedWriting && written == fileSize, "FIN before the application finished")
            fuzzCheck(sender.base == sender.filled || (configuration.mode != .stopAndWait && sender.next == sender.filled),
                      "FIN with data unacknowledged (or, sent early, unsent)")
            fuzzCheck(header.sequence == space.wire(sender.filled), "FIN sequence")
            let fin = try? FinPayload(decoding: packet.payload)
            fuzzCheck(fin?.fileSize == UInt64(fileSize) && fin?.sha256 == FuzzContent.digest(size: fileSize), "FIN payload")
            finSent = true
        case .reset:
            if case .failed = sender.state {} else { fuzzCheck(false, "RST from a sender that did not fail") }
        case .ack where sender.state == .finished:
            // The ACK of the FIN-ACK, which lets a --once receiver go.
            fuzzCheck(packet.payload.isEmpty && packet.sackCount == 0, "closing ACK with a payload or SACKs")
            fuzzCheck(header.sequence == space.wire(sender.filled) + 1, "closing ACK sequence")
        case .ack:
            // The keepalive: only while everything sent is acknowledged and the application
            // has neither written the next packet nor finished.
            fuzzCheck(sender.state == .transferring, "keepalive in state \(sender.state)")
            fuzzCheck(packet.payload.isEmpty && packet.sackCount == 0, "keepalive with a payload or SACKs")
            fuzzCheck(sender.base == sender.next && sender.next == sender.filled && !finishedWriting,
                      "keepalive with data in flight, waiting or finished")
            fuzzCheck(header.sequence == space.wire(sender.next), "keepalive sequence")
        case .pathResponse:
            // Only the echo of a challenge that reached it, carrying its 8 bytes unchanged.
            let response = try? PathPayload(decoding: packet.payload)
            fuzzCheck(response != nil && challengesDelivered.contains(response!.data), "PATH-RESPONSE to no challenge")
        case .synAck, .finAck, .pathChallenge:
            fuzzCheck(false, "the sender sent a receiver's packet type \(header.type)")
        }
    }

    func checkState() {
        fuzzCheck(sender.base <= sender.next && sender.next <= sender.filled, "base \(sender.base) next \(sender.next) filled \(sender.filled)")
        fuzzCheck(sender.filled - sender.base <= UInt64(sender.buffer.slotCount), "more packets held than slots")
        fuzzCheck(sender.statistics.bytesAcknowledged <= UInt64(written), "acknowledged more bytes than written")
        fuzzCheck(sender.mss >= 1 && sender.mss <= configuration.effectiveMSS, "MSS grew")
        fuzzCheck(sender.window >= 1 && sender.window <= configuration.effectiveWindow, "window grew")
        switch sender.state {
        case .finished:
            fuzzCheck(finSent && finAckSeen, "finished without a FIN-ACK for its FIN")
            fuzzCheck(sender.base == sender.filled && written == fileSize, "finished with data unacknowledged")
            fuzzCheck(sender.nextDeadline == nil, "a finished sender keeps a timer")
        case .failed:
            fuzzCheck(sender.nextDeadline == nil, "a failed sender keeps a timer")
        case .connecting, .closing:
            fuzzCheck(sender.nextDeadline != nil, "no timer while waiting for \(sender.state == .connecting ? "SYN-ACK" : "FIN-ACK")")
        case .transferring:
            if sender.base < sender.next { fuzzCheck(sender.nextDeadline != nil, "packets outstanding but no timer") }
        }
        if let deadline = sender.nextDeadline {
            // The driver sleeps until the deadline: one that handleTimeout left in the past spins it.
            fuzzCheck(deadline > now, "deadline \(deadline) already passed at \(now) in \(sender.state)")
        }
    }
}
