// libFuzzer target: the Receiver state machine fed arbitrary sender datagrams, clock steps and
// application reads, in any order.
//
// The DATA packets it is given carry bytes that name their own packet index, so the checks can
// tell exactly what was delivered. Checked after every step: the application gets packets 0,
// 1, 2, ... in order (in any order for unordered delivery), each whole, none twice, none
// skipped (none never received); an ACK never acknowledges (nor a
// SACK block claims) a packet that was not received, never moves backwards, and never grants
// room beyond the buffer; FIN-ACK only follows the application's confirmation; the receiver
// never spins on a passed deadline and always keeps a timer until it may be forgotten.

@_cdecl("LLVMFuzzerTestOneInput")
public func receiverFuzzerEntry(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = FuzzInput(UnsafeRawBufferPointer(start: data, count: size))
    guard var harness = ReceiverHarness(&input) else { return 0 }
    harness.run(&input)
    return 0
}

private let forge = PacketForge()
/// Where the state machine writes its datagrams (one buffer for the whole run).
private let outgoing = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)

/// The byte at `position` of DATA packet `index`: every packet's content names it. Its first
/// eight bytes are the index itself (unordered delivery identifies packets by them; there every
/// packet has at least eight), the rest a mix of index and position.
private func dataByte(index: UInt64, position: Int) -> UInt8 {
    if position < 8 { return UInt8(truncatingIfNeeded: index >> (8 * UInt64(position))) }
    var mixed = (index &+ 1) &* 0x9E37_79B9_7F4A_7C15 ^ UInt64(position) &* 0xBF58_476D_1CE4_E5B9
    mixed ^= mixed >> 31
    return UInt8(truncatingIfNeeded: mixed ^ (mixed >> 17))
}

/// The packet index a chunk of at least eight bytes names.
private func namedIndex(_ chunk: UnsafeRawBufferPointer) -> UInt64? {
    guard chunk.count >= 8 else { return nil }
    return (0..<8).reduce(UInt64(0)) { $0 | UInt64(chunk[$1]) << (8 * UInt64($1)) }
}

private struct ReceiverHarness {
    let receiver: Receiver
    let offer: SynPayload
    let synBytes: [UInt8]
    let connectionID: UInt32
    let space: SequenceSpace
    var now: UInt64 = 0
    /// Indices of DATA packets handed to the receiver with a valid payload.
    var sent = Set<UInt64>()
    /// Every packet below this one was delivered.
    var delivered: UInt64 = 0
    /// Packets delivered at or above `delivered` (unordered delivery only).
    var deliveredAhead = Set<UInt64>()
    var deliveredBytes = 0
    var highestAcknowledged: UInt64 = 0
    var confirmed = false
    var applicationReads = true

    init?(_ input: inout FuzzInput) {
        var configuration = ReceiverConfiguration(initialSequence: input.integer())
        configuration.maxWindow = input.within(1...64)
        configuration.ackFrequency = input.within(1...10)
        configuration.idleTimeout = UInt64(input.within(1...20)) * 500_000_000
        if input.chance(4) { configuration.maxBufferBytes = input.within(1...4_096) }
        let unordered = input.chance(3)
        let smallestMSS = unordered ? 8 : 1  // unordered packets name themselves in 8 bytes
        if input.chance(4) { configuration.maxMSS = input.within(smallestMSS...64) }
        connectionID = input.integer()
        let isn = input.initialSequence()
        var proposal = SynPayload(mode: TransferMode.allCases[input.below(3)], mss: input.within(smallestMSS...48),
                                  window: UInt32(input.within(1...80)),
                                  fileSize: input.chance(3) ? nil : UInt64(input.below(5_000)), name: Array("fuzz.bin".utf8))
        if unordered { proposal.delivery = .unordered }
        // 0-RTT: packet 0 in the SYN (naming itself, as every DATA does), a token.
        if input.chance(3) { proposal.earlyData = (0..<input.within(smallestMSS...proposal.mss)).map { dataByte(index: 0, position: $0) } }
        if input.chance(4) { proposal.addressToken = input.bytes(upTo: 24) }
        // Redundancy: DATA may carry copies of earlier packets (deliverData makes some).
        if input.chance(3) { proposal.sendsRedundantData = true }
        let header = PacketHeader(type: .syn, connectionID: connectionID, sequence: SequenceNumber(isn),
                                  timestamp: input.integer())
        synBytes = Array(forge.packet(header, payload: input.chance(16) ? input.bytes(upTo: 30) : proposal.encoded()))
        guard let packet = synBytes.withUnsafeBytes({ try? PacketView.decode($0) }),
              let receiver = try? Receiver(syn: packet, configuration: configuration, now: 0) else { return nil }
        self.receiver = receiver
        // What the receiver decoded: the proposal, or what fuzzed SYN bytes happened to say.
        offer = receiver.offer
        guard offer.delivery == .ordered || receiver.mss >= 8 else { return nil }  // unordered packets name themselves in 8 bytes
        space = SequenceSpace(origin: SequenceNumber(isn) + 1)
        fuzzCheck(receiver.mss >= 1 && receiver.mss <= offer.mss && receiver.mss <= configuration.maxMSS, "granted MSS \(receiver.mss)")
        fuzzCheck(receiver.window >= 1 && receiver.window <= Int(offer.window) && receiver.window <= configuration.maxWindow,
                  "granted window \(receiver.window)")
        if input.chance(16) {
            receiver.fail(code: .unsafeName, message: "refused by the fuzz application", now: 0)
        } else {
            receiver.accept(now: 0, response: input.chance(2) ? input.bytes(upTo: 40) : nil,
                            responseWaitsForFin: input.chance(2), addressToken: input.chance(2) ? input.bytes(upTo: 24) : nil)
            // Early data the receiver took is packet 0, received.
            if let early = offer.earlyData, early.count <= receiver.mss { sent.insert(0) }
        }
    }

    mutating func run(_ input: inout FuzzInput) {
        drain()
        var steps = 0
        while !input.isExhausted && steps < 4_000 {
            steps += 1
            let operation = input.below(12)
            fuzzTrace("step \(steps): operation \(operation), now \(now), state \(receiver.state), delivered \(delivered)")
            switch operation {
            case 0, 1, 2, 3: deliverData(&input)
            case 4: deliverFin(&input)
            case 5: now += input.timeStep()
            case 6: if let deadline = receiver.nextDeadline, deadline > now { now = deadline }
            case 7: applicationReads.toggle()
            case 8: synBytes.withUnsafeBytes { _ = receiver.handle(datagram: $0, now: now) }
            case 9:
                var header = PacketForge.header(&input, connectionID: input.chance(8) ? input.integer() : connectionID)
                if header.type == .data { header.type = .ack }  // DATA is made by deliverData, whose bytes are checked
                if input.chance(2) { header.sequence = space.wire(delivered + UInt64(input.below(8))) }
                let payload = header.type == .reset && input.chance(2)
                    ? ResetPayload(code: .cancelled, message: "fuzz").encoded() : input.bytes(upTo: input.below(64))
                receiver.handle(datagram: forge.packet(header, payload: payload), now: now)
            case 10: receiver.handle(datagram: forge.raw(input.bytes(upTo: input.below(100)), repairChecksum: input.chance(4) == false),
                                     now: now)
            default:
                if input.chance(32) { receiver.fail(code: .cancelled, message: "fuzz application gave up", now: now) }
            }
            // As the real driver does after every wake-up: the application, timers, then replies.
            application()
            receiver.handleTimeout(now: now)
            drain()
            checkState()
        }
    }

    // MARK: Inputs

    mutating func deliverData(_ input: inout FuzzInput) {
        let window = UInt64(receiver.window)
        let index: UInt64 = switch input.below(8) {
        // Far away, but within 2^31 of the receiver's position, so the wire number means this index.
        case 0: delivered + UInt64(input.integer(UInt32.self) % (1 << 30))
        case 2: delivered - UInt64(input.below(Int(min(delivered, 8)) + 1))  // old: duplicates
        case 1: delivered &+ UInt64(input.below(Int(3 * window) + 2))
        default: delivered + UInt64(input.below(Int(window) + 2))
        }
        var length = receiver.mss
        switch input.below(8) {
        case 0: length = input.within((offer.delivery == .unordered ? 8 : 1)...receiver.mss)
        case 1: length = input.chance(2) ? 0 : receiver.mss + input.within(1...3)  // protocol violations
        default: break
        }
        var payload = (0..<length).map { dataByte(index: index, position: $0) }
        var flags: UInt8 = input.chance(4) ? PacketFlags.acknowledgeNow : 0
        // Copies of up to two earlier packets before the packet's own bytes, each its true bytes
        // (a copy is that packet's arrival); sometimes announced or not, sometimes too large.
        var copied: [UInt64] = []
        if offer.sendsRedundantData || input.chance(16), index >= 1, length >= 1, input.chance(2) {
            let smallest = offer.delivery == .unordered ? 8 : 1
            var copies: [(UInt16, [UInt8])] = []
            for distance in 1...min(UInt64(input.within(1...2)), index) {
                let copy = (0..<input.within(smallest...max(smallest, receiver.mss / 3))).map { dataByte(index: index - distance, position: $0) }
                copies.append((UInt16(distance), copy))
                copied.append(index - distance)
            }
            var redundant = [UInt8](repeating: 0, count: RedundantPayload.headerSize(copies: copies.count)
                                        + copies.reduce(0) { $0 + $1.1.count } + payload.count)
            payload.withUnsafeBytes { own in
                redundant.withUnsafeMutableBytes { destination in
                    copies[0].1.withUnsafeBytes { first in
                        if copies.count == 1 {
                            RedundantPayload.write(copies: [(copies[0].0, first)], primary: own, into: destination)
                        } else {
                            copies[1].1.withUnsafeBytes { second in
                                RedundantPayload.write(copies: [(copies[0].0, first), (copies[1].0, second)], primary: own, into: destination)
                            }
                        }
                    }
                }
            }
            payload = redundant
            flags |= PacketFlags.redundant
        }
        let header = PacketHeader(type: .data, flags: flags, connectionID: connectionID,
                                  sequence: space.wire(index), timestamp: input.integer(), timestampEcho: input.integer())
        let before = receiver.state
        fuzzTrace("  DATA \(index) of \(length) bytes, copies of \(copied)")
        receiver.handle(datagram: forge.packet(header, payload: payload), now: now)
        if before == .established, length >= 1, payload.count <= receiver.mss {
            sent.insert(index)
            for earlier in copied { sent.insert(earlier) }
        }
    }

    mutating func deliverFin(_ input: inout FuzzInput) {
        var contiguous = delivered
        while sent.contains(contiguous) { contiguous += 1 }
        let index: UInt64 = switch input.below(4) {
        case 0: delivered + UInt64(input.below(4))
        case 1: highestAcknowledged
        default: contiguous  // where the FIN of a sender that sent all of this would be
        }
        let fin = FinPayload(fileSize: UInt64(input.below(5_000)), sha256: SHA256.hash([input.byte()]),
                             retransmitTimeoutMicros: input.integer())
        let header = PacketHeader(type: .fin, connectionID: connectionID, sequence: space.wire(index), timestamp: input.integer())
        receiver.handle(datagram: forge.packet(header, payload: input.chance(8) ? input.bytes(upTo: 44) : fin.encoded()), now: now)
    }

    /// The application: reads what was delivered (unless it is slow right now) and settles a FIN.
    mutating func application() {
        if applicationReads || receiver.state != .established {
            receiver.readDelivered { chunk in
                fuzzCheck(chunk.count >= 1 && chunk.count <= receiver.mss, "delivered a chunk of \(chunk.count) bytes")
                func holds(_ index: UInt64) -> Bool {
                    chunk.enumerated().allSatisfy { $0.element == dataByte(index: index, position: $0.offset) }
                }
                if offer.delivery == .unordered {
                    // A packet received and not delivered yet, whole.
                    let index = namedIndex(chunk)
                    fuzzCheck(index.map { $0 >= delivered && !deliveredAhead.contains($0) && sent.contains($0) && holds($0) } == true,
                              "delivered a chunk that is no undelivered packet received (\(String(describing: index)))")
                    deliveredAhead.insert(index!)
                    while deliveredAhead.remove(delivered) != nil { delivered += 1 }
                } else {
                    fuzzCheck(sent.contains(delivered), "delivered packet \(delivered), which was never received")
                    fuzzCheck(holds(delivered), "delivered chunk \(delivered) holds bytes of another packet")
                    delivered += 1
                }
                deliveredBytes += chunk.count
            }
        }
        if case .finishing = receiver.state {
            fuzzCheck(!receiver.hasDeliverableData, "finishing with data not yet delivered")
            receiver.confirmFinish(now: now)
            confirmed = true
        }
    }

    // MARK: Checks

    mutating func drain() {
        var count = 0
        while let length = receiver.pollTransmit(into: outgoing, now: now) {
            count += 1
            fuzzCheck(count < 1_000, "pollTransmit never returns nil")
            check(UnsafeRawBufferPointer(rebasing: outgoing[0..<length]))
        }
    }

    mutating func check(_ datagram: UnsafeRawBufferPointer) {
        guard let packet = decodeOutput(datagram, of: "receiver") else { return }
        let header = packet.header
        fuzzCheck(header.connectionID == connectionID, "foreign connection ID")
        switch header.type {
        case .synAck:
            fuzzCheck(header.acknowledgement == space.wire(0), "SYN-ACK acknowledgement")
            let answer = try? SynAckPayload(decoding: packet.payload)
            fuzzCheck(answer?.mss == receiver.mss && answer?.window == UInt32(receiver.window), "SYN-ACK payload")
            fuzzCheck(offer.earlyData != nil || (answer?.tookEarlyData == false && answer?.response == nil
                                                  && answer?.responseFollows == false), "0-RTT answer to a SYN without early data")
            fuzzCheck(offer.addressToken != nil || answer?.addressToken == nil, "a token for a sender that takes none")
        case .ack:
            guard let acknowledged = space.index(of: header.acknowledgement, near: delivered) else {
                fuzzCheck(false, "ACK before the first packet")
                return
            }
            fuzzTrace("  ACK \(acknowledged) window \(header.window), \(packet.sackCount) SACK blocks")
            fuzzCheck(acknowledged >= highestAcknowledged, "ACK went back from \(highestAcknowledged) to \(acknowledged)")
            highestAcknowledged = acknowledged
            for index in delivered..<acknowledged where !sent.contains(index) {
                fuzzCheck(false, "ACK \(acknowledged) covers packet \(index), never received")
            }
            // Room is counted from the oldest packet the application has not read: it holds a slot.
            fuzzCheck(acknowledged + UInt64(header.window) <= delivered + UInt64(receiver.window), "window beyond the buffer")
            fuzzCheck(packet.sackCount <= 16, "\(packet.sackCount) SACK blocks")
            fuzzCheck(packet.sackCount == 0 || offer.mode == .selectiveRepeat, "SACK blocks outside Selective Repeat")
            var floor = acknowledged
            for block in packet.sackBlocks {
                let start = space.index(of: block.start, near: acknowledged) ?? 0
                let end = space.index(of: block.end, near: acknowledged) ?? 0
                fuzzCheck(start > floor && end > start, "SACK blocks not ascending above the ACK")
                for index in start..<end where !sent.contains(index) {
                    fuzzCheck(false, "SACK block claims packet \(index), never received")
                }
                floor = end
            }
        case .finAck:
            fuzzCheck(confirmed, "FIN-ACK before the application confirmed")
            fuzzCheck(header.acknowledgement == space.wire(delivered) + 1, "FIN-ACK acknowledgement")
        case .reset:
            if case .failed = receiver.state {} else { fuzzCheck(false, "RST from a receiver that did not fail") }
        case .syn, .data, .fin, .pathChallenge, .pathResponse:
            // Path challenges are the endpoint's, never the connection's state machine's.
            fuzzCheck(false, "the receiver sent packet type \(header.type)")
        }
    }

    func checkState() {
        if receiver.isReclaimable {
            fuzzCheck(receiver.nextDeadline == nil, "a forgotten receiver keeps a timer")
            return
        }
        let deadline = receiver.nextDeadline
        fuzzCheck(deadline != nil, "no timer in \(receiver.state): the connection would never be forgotten")
        if let deadline { fuzzCheck(deadline > now, "deadline \(deadline) already passed at \(now) in \(receiver.state)") }
        if receiver.state == .completed { fuzzCheck(confirmed, "completed without confirmation") }
    }
}
