/// Where a receiver is in its life.
public enum ReceiverState: Equatable, Sendable {
    /// A SYN arrived; the application must `accept` or `refuse` the offer.
    case offered
    case established
    /// Every byte arrived and the FIN says how many and their SHA-256: the application checks,
    /// makes the file durable, then calls `confirmFinish` (or `fail`).
    case finishing(FinPayload)
    /// The FIN was confirmed; the receiver lingers to answer retransmitted FINs.
    case completed
    case failed(TransferError)
}

/// The receiving side of one transfer: a deterministic state machine with no sockets and no clock.
///
/// Created from a SYN; delivers bytes in order through `readDelivered`, acknowledges
/// cumulatively (Go-Back-N, stop-and-wait) or with SACK blocks (Selective Repeat), and lingers
/// after the end, as TCP's TIME-WAIT, so that a lost last FIN-ACK is answered again.
public final class Receiver: PacketHandling {
    public let configuration: ReceiverConfiguration
    public let connectionID: UInt32
    /// What the sender proposed: mode, MSS, window, size and name.
    public let offer: SynPayload
    public let mss: Int
    public let window: Int
    public private(set) var state: ReceiverState = .offered
    public private(set) var statistics = ReceiverStatistics()
    /// Called with every protocol event, if set (tracing); costs nothing when nil.
    public var observer: ProtocolEventObserver?
    /// True once lingering is over: the connection can be forgotten.
    public private(set) var isReclaimable = false
    /// How long the sender keeps retransmitting, as its SYN announced (or as assumed).
    public let senderRetryBudget: RetryBudget
    /// This connection fails after this long without a packet from its sender.
    public let idleTimeout: UInt64

    private let space: SequenceSpace
    private var buffer: ReceiveBuffer?
    /// Every packet below `expected` has arrived.
    private var expected: UInt64 = 0
    /// Packets below `readIndex` were handed to the application.
    private var readIndex: UInt64 = 0
    private var highestReceived: UInt64 = 0
    private var lastActivity: UInt64
    private var lingerDeadline: UInt64?
    private var senderRetransmitTimeout: UInt64?
    private var ackDue = false
    /// In-order packets received since the last ACK, and when the delayed ACK is due.
    private var unacknowledgedCount = 0
    /// Set during `handleDeliveringInOrder`: whether, and what, it hands back directly.
    private var acceptsDirectDelivery = false
    private var directPayload: UnsafeRawBufferPointer?
    private var delayedAckDeadline: UInt64?
    /// In-order packets that make an ACK due at once; fewer wait up to `maxAckDelay`.
    private let ackFrequency: Int
    private var synAckDue = false
    private var finAckDue = false
    /// A FIN that came ahead of some of the data it ends (a sender sends it right behind its
    /// last DATA packet): the transfer finishes once every packet below it arrived.
    private var pendingFin: (index: UInt64, fin: FinPayload)?
    /// The sender's first flight, held while its address is unproved.
    private var firstFlight: FirstFlightStash
    /// The SYN's early data, taken at `accept` as DATA packet 0 and put into the stream with the
    /// first DATA or FIN handled (at an endpoint: once the sender proved its address).
    private var earlyDataToStore: [UInt8]?
    /// What the SYN-ACK says of 0-RTT (took the early data, response, token), fixed at `accept`
    /// so that every copy of it says the same.
    private var synAckAnswer: SynAckPayload?
    /// A response too large for an unvalidated address: it rides on the FIN-ACK.
    private var responseForFinAck: [UInt8]?
    /// Timestamps of the FIN-ACKs sent: the sender's closing ACK must echo one of them.
    private var finAckTimestamps: [UInt32] = []
    private var resetToSend: ResetPayload?
    private var echo: UInt32 = 0
    private var advertisedEdge: UInt64 = 0
    private var sackBlocks: [SackBlock] = []
    private static let maxSackBlocksSent = WireLayout.maxSackBlocks
    private static let rememberedFinAcks = 8
    /// Unordered delivery: packets stored but not yet handed to the application, in arrival order.
    private var arrivals = RingQueue<UInt64>(capacity: 64)
    /// Where the next ACK's rotating share of SACK blocks starts.
    private var sackRotation = 0
    /// Runs beyond the lowest half, kept between ACKs so building one allocates nothing.
    private var rotated: [SackBlock] = []

    /// Starts a connection from a SYN; throws if the packet is not a valid SYN.
    public init(syn packet: PacketView, configuration: ReceiverConfiguration, now: UInt64) throws(TransferError) {
        guard packet.header.type == .syn else { throw .protocolViolation("connection did not start with a SYN") }
        let offer: SynPayload
        do { offer = try SynPayload(decoding: packet.payload) } catch { throw .protocolViolation(error.description) }
        self.configuration = configuration
        self.offer = offer
        connectionID = packet.header.connectionID
        mss = min(offer.mss, configuration.maxMSS)
        let windowCap = offer.mode == .stopAndWait ? 1 : configuration.maxWindow
        window = max(1, min(Int(offer.window), windowCap, configuration.maxBufferBytes / max(mss, 1)))
        space = SequenceSpace(origin: packet.header.sequence + 1)
        // A sender must never wait for the delay timer with its window full: at least four ACKs per window.
        ackFrequency = max(1, min(configuration.ackFrequency, window / 4))
        firstFlight = FirstFlightStash(capacity: UInt64(min(window, max(0, configuration.firstFlightPackets))))
        lastActivity = now
        echo = packet.header.timestamp
        sackBlocks.reserveCapacity(Self.maxSackBlocksSent)
        senderRetryBudget = offer.retryBudget ?? .unannounced
        if configuration.idleTimeoutFollowsSender, let announced = offer.retryBudget {
            idleTimeout = min(max(configuration.idleTimeout, announced.silence),
                              max(configuration.maximumIdleTimeout, configuration.idleTimeout))
        } else {
            idleTimeout = configuration.idleTimeout
        }
    }

    deinit { buffer?.deallocate() }

    /// Accepts the offer: the SYN-ACK goes out and data may flow.
    ///
    /// 0-RTT: the SYN's early data (`offer.earlyData`) is taken as the stream's first packet when
    /// `configuration.takesEarlyData` and it fits the MSS, and `response` (the application's
    /// answer to it, at most `mss` bytes are sent) goes back in the SYN-ACK, or in the FIN-ACK if
    /// `responseWaitsForFin` (the endpoint decides, by what it may send an unvalidated address).
    /// `addressToken` is handed to a sender that asked for one. All three only to a sender whose
    /// SYN carried the fields that say it understands them.
    public func accept(now: UInt64, response: [UInt8]? = nil, responseWaitsForFin: Bool = false,
                       addressToken: [UInt8]? = nil) {
        guard state == .offered else { return }
        var answer = SynAckPayload(mss: mss, window: UInt32(window))
        if let early = offer.earlyData {
            if configuration.takesEarlyData && early.count <= mss {
                answer.tookEarlyData = true
                earlyDataToStore = early
            }
            if let response, !response.isEmpty {
                let sent = Array(response.prefix(mss))
                if responseWaitsForFin {
                    answer.responseFollows = true
                    responseForFinAck = sent
                } else {
                    answer.response = sent
                }
            }
        }
        if offer.addressToken != nil, let addressToken, !addressToken.isEmpty { answer.addressToken = addressToken }
        synAckAnswer = answer
        advertisedEdge = UInt64(window)  // the SYN-ACK grants the whole window
        state = .established
        synAckDue = true
        if !firstFlight.isEmpty { ackDue = true }
        lastActivity = now
    }

    /// Holds DATA packet `packet` (its whole `datagram`) of the sender's first flight while
    /// the sender's address is unproved, within `room` bytes, and acknowledges it; the bytes
    /// now held more (0 if it was not taken).
    public func holdFirstFlight(_ packet: PacketView, datagram: UnsafeRawBufferPointer, room: Int, now: UInt64) -> Int {
        guard packet.header.type == .data, packet.header.connectionID == connectionID,
              packet.payload.count > 0 && packet.payload.count <= mss else { return 0 }
        switch state {
        case .offered, .established: break
        default: return 0
        }
        guard let index = space.index(of: packet.header.sequence, near: 0) else { return 0 }
        let held = firstFlight.hold(index: index, datagram: datagram, room: room)
        guard held > 0 else { return 0 }
        lastActivity = now
        echo = packet.header.timestamp
        if case .established = state { ackDue = true }
        return held
    }

    /// The sender proved its address: its first flight is handled as if it arrived now.
    /// Returns the bytes the stash no longer holds.
    public func replayFirstFlight(now: UInt64) -> Int {
        let released = firstFlight.bytes
        for datagram in firstFlight.drain() {
            datagram.withUnsafeBytes { raw in
                if let packet = try? PacketView.decode(raw) { handlePacket(packet, now: now) }
            }
        }
        return released
    }

    /// Bytes of first-flight packets held.
    public var firstFlightBytes: Int { firstFlight.bytes }

    /// Refuses the offer, or fails the transfer later (integrity, I/O): the sender gets an RST
    /// with `message`, and the receiver lingers to repeat it.
    public func fail(code: ResetCode, message: String, now: UInt64) {
        switch state {
        case .completed, .failed: return
        default: break
        }
        state = .failed(.aborted(code, message))
        resetToSend = ResetPayload(code: code, message: message)
        startLinger(now: now)
    }

    /// Confirms the FIN once the file is safely stored: the FIN-ACK goes out.
    public func confirmFinish(now: UInt64) {
        guard case .finishing = state else { return }
        state = .completed
        finAckDue = true
        startLinger(now: now)
    }

    /// The application's bytes, in order: calls `body` with each contiguous arrived packet
    /// not yet read, then frees its slot (which opens the window).
    public func readDelivered(_ body: (UnsafeRawBufferPointer) throws -> Void) rethrows {
        // Taken out while in use, so it stays uniquely referenced and its slot arrays are mutated
        // in place (a copy held in `self.buffer` would make every mutation copy them: O(window)).
        guard var buffer = buffer.take() else { return }
        defer { self.buffer = buffer }
        if offer.delivery == .unordered {
            // Every packet was handed over when it arrived; slots below `expected` are free now.
            while let index = arrivals.popFirst() {
                let payload = buffer.payload(index)
                try body(payload)
                statistics.bytesDelivered += UInt64(payload.count)
            }
            while readIndex < expected {
                buffer.release(readIndex)
                readIndex += 1
            }
        } else {
            while readIndex < expected {
                let payload = buffer.payload(readIndex)
                try body(payload)
                statistics.bytesDelivered += UInt64(payload.count)
                buffer.release(readIndex)
                readIndex += 1
            }
        }
        // Reopening a window the sender saw (nearly) closed needs an update it would otherwise wait for.
        if case .established = state, advertisedEdge < readIndex + UInt64(window) / 2 { ackDue = true }
    }

    /// Sends the latest answer again (the ACK, or the FIN-ACK of a completed transfer): the
    /// connection moved to a new address of its sender, and what went to the old one was lost.
    public func repeatLatestAnswer() {
        switch state {
        case .established: ackDue = true
        case .completed: finAckDue = true
        default: break
        }
    }

    /// Whether `sequence` could belong to a packet the sender sends now: within one window
    /// below or above the next expected packet (retransmissions, new data, the FIN, a
    /// keepalive). A packet from a new address must pass this before it starts path validation.
    public func isPlausible(_ sequence: SequenceNumber) -> Bool {
        guard let index = space.index(of: sequence, near: expected) else { return false }
        return index + UInt64(window) >= expected && index <= expected + UInt64(window) + 1
    }

    /// Bytes delivered in order and not yet read.
    public var hasDeliverableData: Bool { offer.delivery == .unordered ? !arrivals.isEmpty : readIndex < expected }

    // MARK: Network input

    /// Handles one decoded packet of this connection.
    public func handle(packet: PacketView, now: UInt64) {
        acceptsDirectDelivery = false
        handlePacket(packet, now: now)
    }

    /// As `handle(packet:now:)`, except that the payload of a DATA packet that is next in order
    /// while nothing arrived before it waits to be read skips the reassembly buffer: it is
    /// counted as read and returned, and the caller consumes it at once, before any later
    /// `readDelivered` (if it cannot, it calls `fail`). Saves a copy of every packet of a
    /// transfer that arrives in order. Ordered delivery only; nil otherwise.
    public func handleDeliveringInOrder(packet: PacketView, now: UInt64) -> UnsafeRawBufferPointer? {
        acceptsDirectDelivery = offer.delivery == .ordered
        defer {
            acceptsDirectDelivery = false
            directPayload = nil
        }
        handlePacket(packet, now: now)
        return directPayload
    }

    private func handlePacket(_ packet: PacketView, now: UInt64) {
        let header = packet.header
        guard header.connectionID == connectionID else { return }
        statistics.datagramsReceived += 1
        if header.type == .reset {
            if case .completed = state {} else if case .failed = state {} else {
                let reason = (try? ResetPayload(decoding: packet.payload)) ?? ResetPayload(code: .other, message: "reset")
                state = .failed(.peerReset(reason.code, "sender: \(reason.message)"))
            }
            isReclaimable = true
            return
        }
        switch state {
        case .offered, .finishing:
            return
        case .established:
            lastActivity = now
            switch header.type {
            case .syn:
                synAckDue = true  // our SYN-ACK was lost
                echo = header.timestamp
            case .data:
                // Echo the first packet since the last ACK (RFC 7323 TS.Recent): a delayed ACK
                // then shows its delay in the RTT instead of hiding it.
                if unacknowledgedCount == 0 && !ackDue { echo = header.timestamp }
                storeEarlyData(now: now)
                receive(packet, now: now)
                if let pendingFin, pendingFin.index == expected, case .established = state {
                    state = .finishing(pendingFin.fin)
                }
            case .fin:
                echo = header.timestamp
                storeEarlyData(now: now)
                receiveFin(packet, now: now)
            default:
                return
            }
        case .completed:
            if header.type == .ack {
                noteCloseAcknowledgement(header, now: now)
                return
            }
            // A DATA packet too: the sender of an early FIN resends data whose ACKs were lost.
            guard header.type == .fin || header.type == .data else { return }
            echo = header.timestamp
            if let fin = try? FinPayload(decoding: packet.payload) {
                senderRetransmitTimeout = UInt64(fin.retransmitTimeoutMicros) * 1_000
            }
            finAckDue = true
            startLinger(now: now)
        case .failed(let error):
            if resetToSend == nil {
                resetToSend = ResetPayload(code: error.resetCode, message: error.description)
            }
            startLinger(now: now)
        }
    }

    /// Puts the early data taken at `accept` into the stream as packet 0, as if it arrived now.
    private func storeEarlyData(now: UInt64) {
        guard let early = earlyDataToStore else { return }
        earlyDataToStore = nil
        statistics.earlyDataBytes += early.count
        var buffer = buffer.take() ?? ReceiveBuffer(slotCount: window, stride: mss)
        defer { self.buffer = buffer }
        let direct = acceptsDirectDelivery
        acceptsDirectDelivery = false  // the packet being handled may still skip the buffer
        early.withUnsafeBytes { accept(0, $0, into: &buffer, now: now) }
        acceptsDirectDelivery = direct
    }

    private func receive(_ packet: PacketView, now: UInt64) {
        statistics.dataPacketsReceived += 1
        let expectedBefore = expected
        defer { scheduleAcknowledgement(packet, advancedFrom: expectedBefore, now: now) }
        guard let index = space.index(of: packet.header.sequence, near: expected) else { return }
        // Allocated on the first DATA, not on accept: a handshake alone (perhaps a spoofed one)
        // holds no reassembly memory. Taken out while in use: see readDelivered.
        var buffer = buffer.take() ?? ReceiveBuffer(slotCount: window, stride: mss)
        defer { self.buffer = buffer }
        let length = packet.payload.count
        guard length > 0 && length <= mss else {
            fail(code: .protocolViolation, message: "DATA packet of \(length) bytes (MSS is \(mss))", now: now)
            return
        }
        guard packet.header.flags & PacketFlags.redundant != 0 else {
            accept(index, packet.payload, into: &buffer, now: now)
            return
        }
        guard offer.sendsRedundantData else {
            fail(code: .protocolViolation, message: "redundant DATA the SYN did not announce", now: now)
            return
        }
        let redundant: RedundantPayload
        do { redundant = try RedundantPayload(decoding: packet.payload) } catch {
            fail(code: .protocolViolation, message: error.description, now: now)
            return
        }
        // Only one payload can skip the buffer, and the copies come first.
        acceptsDirectDelivery = false
        var outOfRange = false
        redundant.forEachCopy { distance, bytes in
            guard distance <= index else {
                outOfRange = true
                return
            }
            accept(index - distance, bytes, into: &buffer, copy: true, now: now)
        }
        guard !outOfRange else {
            fail(code: .protocolViolation, message: "redundant copy of a packet before the first", now: now)
            return
        }
        accept(index, redundant.primary, into: &buffer, now: now)
    }

    /// Takes the payload of packet `index`, which arrived in a packet of its own or as another's
    /// redundant `copy`: stores or delivers it unless it is a duplicate or out of bounds.
    private func accept(_ index: UInt64, _ payload: UnsafeRawBufferPointer, into buffer: inout ReceiveBuffer,
                        copy: Bool = false, now: UInt64) {
        guard case .established = state else { return }  // a copy before it failed the transfer
        if let pendingFin, index >= pendingFin.index {
            statistics.discarded += 1  // beyond the end the FIN announced
            return
        }
        if index < expected || buffer.contains(index) {
            // A copy of a packet held is the normal case, not a sign of a spurious retransmission.
            if copy {
                statistics.unusedCopies += 1
            } else {
                statistics.duplicates += 1
                observer?(now, .received(index: index, duplicate: true, outOfOrder: false))
            }
            return
        }
        observer?(now, .received(index: index, duplicate: false, outOfOrder: index != expected))
        guard index < readIndex + UInt64(window) else {
            statistics.discarded += 1
            return
        }
        if index != expected {
            statistics.outOfOrder += 1
            guard offer.mode == .selectiveRepeat else {
                statistics.discarded += 1  // Go-Back-N keeps no out-of-order packets
                return
            }
        }
        if copy { statistics.recoveredFromCopies += 1 }
        if acceptsDirectDelivery && index == expected && readIndex == expected {
            directPayload = payload
            statistics.bytesDelivered += UInt64(payload.count)
            readIndex += 1
            expected += 1
            // As readDelivered does: the window reopens as the application reads.
            if advertisedEdge < readIndex + UInt64(window) / 2 { ackDue = true }
        } else {
            buffer.store(index, payload)
        }
        if offer.delivery == .unordered { arrivals.append(index) }
        highestReceived = max(highestReceived, index)
        while expected < readIndex + UInt64(window) && buffer.contains(expected) && expected <= highestReceived {
            expected += 1
            if expected > highestReceived { break }
        }
    }

    /// Delayed acknowledgement: a packet that simply extends the in-order data is acknowledged
    /// with the next `ackFrequency` − 1 of them or after `maxAckDelay`; anything else (a gap, a
    /// duplicate, a filled hole, a sender asking) is acknowledged at once, as RFC 5681 4.2 says.
    private func scheduleAcknowledgement(_ packet: PacketView, advancedFrom expectedBefore: UInt64, now: UInt64) {
        let inOrderByOne = expected == expectedBefore + 1 && expected > highestReceived
        if !inOrderByOne || packet.header.flags & PacketFlags.acknowledgeNow != 0 {
            ackDue = true
            return
        }
        unacknowledgedCount += 1
        if unacknowledgedCount >= ackFrequency {
            ackDue = true
        } else if delayedAckDeadline == nil {
            delayedAckDeadline = now + configuration.maxAckDelay
        }
    }

    private func receiveFin(_ packet: PacketView, now: UInt64) {
        guard let index = space.index(of: packet.header.sequence, near: expected), index >= expected else { return }
        guard let fin = try? FinPayload(decoding: packet.payload) else {
            fail(code: .protocolViolation, message: "malformed FIN", now: now)
            return
        }
        senderRetransmitTimeout = UInt64(fin.retransmitTimeoutMicros) * 1_000
        guard index == expected else {
            // Data still missing: keep the FIN for when it is complete, and tell the sender where we are.
            if index > highestReceived { pendingFin = (index, fin) }
            ackDue = true
            return
        }
        state = .finishing(fin)
    }

    /// The sender's ACK of our FIN-ACK (it echoes that FIN-ACK's timestamp and acknowledges one
    /// past the FIN): it retransmits no FIN now, so lingering is over.
    private func noteCloseAcknowledgement(_ header: PacketHeader, now: UInt64) {
        guard header.sequence == space.wire(expected) + 1, finAckTimestamps.contains(header.timestampEcho) else { return }
        lingerDeadline = now
    }

    private func startLinger(now: UInt64) {
        if configuration.lingersUntilSenderGivesUp, case .completed = state {
            // Until the sender has given up on the FIN it sent, so that its last retransmission,
            // if any, has arrived: one timeout per transmission it may still make, from the one
            // that FIN announced (the largest, if none), each double the one before.
            let timeout = senderRetransmitTimeout ?? senderRetryBudget.largestTimeout
            let patience = min(senderRetryBudget.patience(from: timeout),
                               max(configuration.maximumIdleTimeout, configuration.idleTimeout))
            lingerDeadline = patience > UInt64.max - now ? .max : now + patience
            return
        }
        let linger = senderRetransmitTimeout.map {
            min(max($0 * configuration.lingerMultiple, configuration.minimumLinger), configuration.maximumLinger)
        } ?? configuration.defaultLinger
        lingerDeadline = now + linger
    }

    // MARK: Timers

    /// When `handleTimeout` must be called next.
    public var nextDeadline: UInt64? {
        if isReclaimable { return nil }
        switch state {
        case .established:
            let idle = lastActivity + idleTimeout
            return delayedAckDeadline.map { min($0, idle) } ?? idle
        case .offered, .finishing:
            return lastActivity + idleTimeout
        case .completed, .failed:
            return lingerDeadline
        }
    }

    public func handleTimeout(now: UInt64) {
        if let deadline = delayedAckDeadline, now >= deadline { ackDue = true }
        switch state {
        case .offered, .established, .finishing:
            if now >= lastActivity + idleTimeout {
                fail(code: .idleTimeout, message: "receiver gave up: nothing heard for \(Double(idleTimeout) / 1e9) s", now: now)
                state = .failed(.idleTimeout(nanoseconds: idleTimeout))
            }
        case .completed, .failed:
            if let deadline = lingerDeadline, now >= deadline { isReclaimable = true }
        }
    }

    // MARK: Output

    /// Writes the next datagram to send into `datagram` and returns its length, or nil.
    public func pollTransmit(into datagram: UnsafeMutableRawBufferPointer, now: UInt64) -> Int? {
        var header = PacketHeader(type: .ack, connectionID: connectionID, sequence: SequenceNumber(configuration.initialSequence),
                                  acknowledgement: space.wire(expected), timestamp: WireClock.timestamp(now),
                                  timestampEcho: echo)
        if let reset = resetToSend {
            resetToSend = nil
            header.type = .reset
            return encode(header, payload: reset.encoded(), into: datagram)
        }
        if synAckDue {
            synAckDue = false
            header.type = .synAck
            header.acknowledgement = space.wire(0)
            header.window = UInt32(window)
            let answer = synAckAnswer ?? SynAckPayload(mss: mss, window: UInt32(window))
            return encode(header, payload: answer.encoded(), into: datagram)
        }
        if finAckDue {
            finAckDue = false
            header.type = .finAck
            header.acknowledgement = space.wire(expected) + 1
            if finAckTimestamps.count == Self.rememberedFinAcks { finAckTimestamps.removeFirst() }
            finAckTimestamps.append(header.timestamp)
            return encode(header, payload: responseForFinAck ?? [], into: datagram)
        }
        guard ackDue, case .established = state else { return nil }
        ackDue = false
        unacknowledgedCount = 0
        delayedAckDeadline = nil
        advertisedEdge = readIndex + UInt64(window)
        header.window = UInt32(advertisedEdge - expected)
        if !firstFlight.isEmpty {
            // Before the proof: what the first flight holds (nothing else arrives until then).
            header.acknowledgement = space.wire(firstFlight.acknowledgedCount)
            header.window = UInt32(window) - UInt32(firstFlight.acknowledgedCount)
        }
        collectSackBlocks()
        statistics.acksSent += 1
        // What the header says: before the proof, the first flight's count, not `expected`.
        let cumulative = firstFlight.isEmpty ? expected : firstFlight.acknowledgedCount
        observer?(now, .ackSent(cumulative: cumulative, sackBlocks: sackBlocks.count, window: header.window))
        return sackBlocks.withUnsafeBufferPointer { sacks in
            try? PacketEncoder.encode(header, sacks: sacks, payload: UnsafeRawBufferPointer(start: nil, count: 0),
                                      into: datagram)
        }
    }

    /// Fills `sackBlocks` with the runs of packets held above the first gap. When there are
    /// more runs than one ACK carries, it reports the lowest half (the holes to repair first)
    /// and a rotating share of the others, so that over a few ACKs the sender hears of every
    /// packet held and never resends one the receiver has (RFC 2018 §4 reports recent blocks
    /// for the same reason).
    private func collectSackBlocks() {
        sackBlocks.removeAll(keepingCapacity: true)
        guard offer.mode == .selectiveRepeat, let buffer, highestReceived > expected else { return }
        let lowest = Self.maxSackBlocksSent / 2
        var runIndex = 0
        rotated.removeAll(keepingCapacity: true)
        var index = expected + 1
        while index <= highestReceived {
            guard buffer.contains(index) else {
                index += 1
                continue
            }
            let start = index
            while index <= highestReceived && buffer.contains(index) { index += 1 }
            let block = SackBlock(start: space.wire(start), end: space.wire(index))
            if runIndex < lowest {
                sackBlocks.append(block)
            } else {
                rotated.append(block)
            }
            runIndex += 1
        }
        guard !rotated.isEmpty else { return }
        let room = Self.maxSackBlocksSent - sackBlocks.count
        if rotated.count <= room {
            sackBlocks.append(contentsOf: rotated)
            return
        }
        sackRotation %= rotated.count
        for offset in 0..<room { sackBlocks.append(rotated[(sackRotation + offset) % rotated.count]) }
        sackRotation += room
    }

    private func encode(_ header: PacketHeader, payload: [UInt8], into datagram: UnsafeMutableRawBufferPointer) -> Int? {
        payload.withUnsafeBytes { try? PacketEncoder.encode(header, payload: $0, into: datagram) }
    }
}
