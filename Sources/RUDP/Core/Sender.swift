/// Where a sender is in its life: handshake, data, the FIN exchange, and the two ends.
public enum SenderState: Equatable, Sendable {
    case connecting
    case transferring
    case closing
    /// The receiver confirmed the whole file and its SHA-256.
    case finished
    case failed(TransferError)
}

/// The sending side of one transfer: a deterministic state machine with no sockets and no clock.
///
/// Feed it the application's bytes (`write`, then `finishWriting`), received datagrams
/// (`handle`) and expired deadlines (`handleTimeout`); drain `pollTransmit` after every input and
/// sleep until `nextDeadline`. Stop-and-wait and Go-Back-N share the cumulative strategy
/// (stop-and-wait is its window-1 case); Selective Repeat uses SACKs.
public final class Sender: PacketHandling {
    public let configuration: SenderConfiguration
    public internal(set) var state: SenderState = .connecting
    public internal(set) var statistics = SenderStatistics()
    public internal(set) var timer: RetransmissionTimer
    /// MSS and window after the receiver's answer (the proposal until then).
    public private(set) var mss: Int
    public private(set) var window: Int
    /// Called with every protocol event, if set (tracing); costs nothing when nil.
    public var observer: ProtocolEventObserver?
    /// Holds the bytes in flight below the path's capacity (`FixedWindow` for the textbook sender).
    public let congestion: CongestionController
    /// Bytes sent and neither acknowledged nor declared lost: what the congestion window bounds.
    public internal(set) var bytesInFlight = 0
    /// The packet the last retransmission timeout resent and when, until an acknowledgement of
    /// it tells whether the timeout was spurious.
    var timeoutUnderReview: (index: UInt64, time: UInt64)?
    var deliveryRate = DeliveryRateEstimator()
    /// Whether a controller bounds the flight at all, and whether it paces and so needs
    /// delivery-rate samples: the textbook sender skips that bookkeeping on its hot path.
    let isControlled: Bool
    private let isPaced: Bool
    private var pacer = Pacer()
    /// When the pacer lets the next packet go, while it holds one back.
    private var pacingDeadline: UInt64?
    /// The `now` of the input being handled, for events raised deep inside it.
    var eventTime: UInt64 = 0
    /// When a traced sender last reported its congestion controller's state, and which.
    var congestionReports = CongestionReportSchedule()

    let space: SequenceSpace
    var buffer: SendBuffer
    /// Oldest unacknowledged packet.
    var base: UInt64 = 0
    /// Next packet never sent.
    var next: UInt64 = 0
    /// Packets completely written by the application: [next, filled) wait to be sent.
    var filled: UInt64 = 0
    /// Right edge of the receiver's advertised window.
    var peerWindowEdge: UInt64 = 0
    var retransmitQueue = RingQueue<UInt64>(capacity: 64)
    /// Every transmission in send order (Selective Repeat): its front is the earliest timer.
    var sendOrder = RingQueue<(index: UInt64, transmission: UInt64)>(capacity: 128)
    var transmissionCounter: UInt64 = 0
    var largestAcknowledgedTransmission: UInt64 = 0
    /// Send time of the newest transmission known to have arrived (from echoed timestamps).
    var newestDeliveredSendTime: UInt64 = 0
    /// Go-Back-N's single timer, started when the oldest outstanding packet was (re)sent.
    var windowTimerStart: UInt64?
    private var writingClosed = false
    private var bytesWritten: UInt64 = 0
    private var digest: SHA256Digest?
    /// Latest timestamp heard from the receiver, echoed back for its RTT measurement.
    private var peerTimestamp: UInt32 = 0
    private var controlDue = true
    private var controlLastSent: UInt64?
    private var controlRetries = 0
    /// The FIN went out behind the last DATA packet, before everything was acknowledged (see
    /// `sendsFinEarly`); its timer runs beside the data timers until the sender is closing.
    private var finSentEarly = false
    /// Packets a congestion-controlled sender sends right behind its SYN, before the SYN-ACK:
    /// its initial window (0 for the textbook sender and for stop-and-wait). The receiver holds
    /// them until the sender proves its address and acknowledges them with the SYN-ACK, so the
    /// handshake's round trip carries data.
    let firstFlightPackets: UInt64
    /// Earlier packets each DATA packet may carry copies of (`SenderConfiguration.effectiveRedundancy`).
    private let redundancy: Int
    /// Whether the first flight may still go: until the SYN-ACK, or the SYN's first timeout.
    private var isFirstFlightOpen: Bool
    private var resetToSend: ResetPayload?
    /// Time of the last acknowledgement, for the zero-window probe.
    private var lastAcknowledgementTime: UInt64 = 0
    private var probeAllowed = false
    /// When the last datagram of any kind went out, for the keepalive.
    private var lastTransmission: UInt64
    private var keepaliveDue = false
    /// The FIN-ACK arrived: these ACKs tell the receiver, which then stops lingering.
    private var closeAcknowledgementsDue = 0
    /// The data of the latest PATH-CHALLENGE, until its PATH-RESPONSE goes out.
    private var pathResponseDue: PathPayload?
    /// Send time and transmission count of the latest packet an ACK newly acknowledged.
    private var newlyAcknowledged: (sent: UInt64, transmissions: Int)?
    /// Whether the SYN carries packet 0 as early data (decided when it first goes out).
    private var synCarriesEarlyData = false
    /// The receiver's answer to the early data (0-RTT), from its SYN-ACK or FIN-ACK; nil until then.
    public private(set) var response: [UInt8]?
    /// The SYN-ACK said the response is too large for it and follows in the FIN-ACK.
    private var responseFollows = false
    /// A token the receiver handed out in its SYN-ACK, for the next connection's SYN to it
    /// (`SenderConfiguration.addressToken`).
    public private(set) var addressToken: [UInt8]?

    public init(configuration: SenderConfiguration, now: UInt64) {
        self.configuration = configuration
        mss = configuration.effectiveMSS
        window = configuration.effectiveWindow
        timer = RetransmissionTimer(policy: configuration.retransmission, initial: configuration.initialRTO,
                                    minimum: configuration.minimumRTO, maximum: configuration.maximumRTO,
                                    margin: configuration.congestionControl == .none ? 0 : RetransmissionTimer.controlledMargin)
        space = SequenceSpace(origin: SequenceNumber(configuration.initialSequence) + 1)
        buffer = SendBuffer(slotCount: configuration.effectiveWindow, stride: configuration.effectiveMSS)
        congestion = configuration.congestionControl.makeController(mss: configuration.effectiveMSS)
        isControlled = configuration.congestionControl != .none
        isPaced = configuration.congestionControl.isPaced
        lastAcknowledgementTime = now
        lastTransmission = now
        firstFlightPackets = isControlled && configuration.mode != .stopAndWait
            ? UInt64(min(window, max(1, congestion.window / mss))) : 0
        // A SYN with early data has its first packet aboard: no first flight behind it.
        isFirstFlightOpen = firstFlightPackets > 0 && !configuration.sendsEarlyData
        redundancy = configuration.effectiveRedundancy
        peerWindowEdge = firstFlightPackets
    }

    deinit { buffer.deallocate() }

    var isSelectiveRepeat: Bool { configuration.mode == .selectiveRepeat }

    /// The packets a congestion-controlled sender keeps written ahead of what it sent, whatever
    /// its window: a batch for the next wake-up.
    public static let unsentReservePackets = 64

    // MARK: Application input

    /// How many bytes `write` would take now (until the receiver accepted the transfer, only
    /// what the first flight carries).
    ///
    /// A congestion-controlled sender takes no more than a congestion window (at least
    /// `unsentReservePackets`) beyond what it sent: the window it was granted can be far larger
    /// than what it may send, and filling it all first would hold its next packets back by the
    /// time that takes (reading 16,384 packets of a file took 28 ms on loopback, where a round
    /// trip can take 50 µs).
    public var writableBytes: Int {
        guard !writingClosed, hasFreeSlot else { return 0 }
        switch state {
        case .transferring:
            let room = (buffer.maxSlotCount - Int(filled - base)) * mss - buffer[filled].length
            guard isControlled else { return room }
            let unsent = Int(filled &- min(next, filled)) * mss + buffer[filled].length
            return min(room, max(0, max(congestion.window, Self.unsentReservePackets * mss) - unsent))
        case .connecting where isFirstFlightOpen && filled < firstFlightPackets:
            return Int(firstFlightPackets - filled) * mss - buffer[filled].length
        case .connecting where configuration.sendsEarlyData && controlLastSent == nil && filled == 0:
            return mss - buffer[0].length  // packet 0, for the SYN
        default:
            return 0
        }
    }

    /// Copies as many bytes as fit into the send buffer and returns how many it took.
    @discardableResult
    public func write(_ bytes: UnsafeRawBufferPointer) -> Int {
        var taken = 0
        while taken < bytes.count && writableBytes > 0 {
            let rest = UnsafeRawBufferPointer(rebasing: bytes[taken...])
            taken += buffer.fill(filled, from: rest, limit: mss)
            if buffer[filled].length == mss { advanceFilled() }
        }
        bytesWritten += UInt64(taken)
        return taken
    }

    /// Sends `message` as one packet of its own (sending any partly filled packet first), so
    /// that the receiver gets it as a unit; false if the window has no room now or the message
    /// is longer than the MSS.
    @discardableResult
    public func writeMessage(_ message: UnsafeRawBufferPointer) -> Bool {
        guard message.count > 0, message.count <= mss, writableBytes > 0 else { return false }
        if buffer[filled].length > 0 {
            advanceFilled()  // the partial packet goes as it is
            guard writableBytes > 0 else { return false }
        }
        let taken = buffer.fill(filled, from: message, limit: mss)
        advanceFilled()
        bytesWritten += UInt64(taken)
        return true
    }

    /// Declares the end of the data and its SHA-256; the FIN follows the last DATA packet (once
    /// everything is acknowledged, for stop-and-wait).
    public func finishWriting(sha256: SHA256Digest) {
        guard !writingClosed else { return }
        writingClosed = true
        digest = sha256
        if hasFreeSlot && buffer[filled].length > 0 { advanceFilled() }
    }

    /// Whether packet `filled` has a slot of its own (otherwise its slot still holds an older packet).
    private var hasFreeSlot: Bool { filled - base < UInt64(buffer.slotCount) }

    /// Packet `filled` is complete: the next one starts, in a slot of its own if the buffer can
    /// still grow.
    private func advanceFilled() {
        filled += 1
        if filled - base == UInt64(buffer.slotCount) { _ = buffer.grow(keeping: base..<filled) }
    }

    /// Stops the transfer and tells the receiver why (one RST).
    public func abort(code: ResetCode, message: String) {
        switch state {
        case .finished, .failed: return
        default:
            state = .failed(.aborted(code, message))
            resetToSend = ResetPayload(code: code, message: message)
        }
    }

    // MARK: Network input

    /// Handles one decoded packet.
    public func handle(packet: PacketView, now: UInt64) {
        eventTime = now
        let header = packet.header
        guard header.connectionID == configuration.connectionID else { return }
        switch state {
        case .finished, .failed: return
        default: break
        }
        switch header.type {
        case .reset:
            let reason = (try? ResetPayload(decoding: packet.payload)) ?? ResetPayload(code: .other, message: "reset by receiver")
            state = .failed(.peerReset(reason.code, "receiver: \(reason.message)"))
            return
        case .synAck:
            guard state == .connecting, header.acknowledgement == space.wire(0),
                  let answer = try? SynAckPayload(decoding: packet.payload) else { return }
            peerTimestamp = header.timestamp
            if answer.mss < mss && (filled > 0 || buffer[0].length > 0) {
                // Packets are cut at the MSS already; the protocol's offsets assume one size.
                state = .failed(.protocolViolation("the receiver granted an MSS of \(answer.mss) below the \(mss) of the data sent"))
                return
            }
            isFirstFlightOpen = false
            takeZeroRTTAnswer(answer)
            mss = min(mss, answer.mss)
            window = min(window, Int(min(answer.window, UInt32(SenderConfiguration.maxWindow))))
            peerWindowEdge = base + UInt64(window)
            if next > peerWindowEdge { takeBackFirstFlight(from: peerWindowEdge) }
            takeSample(echo: header.timestampEcho, now: now)
            state = .transferring
            controlRetries = 0
            controlLastSent = nil
            controlDue = false
            lastAcknowledgementTime = now
            if isTracingCongestion { emit(congestionReport(.start), now: now) }
        case .ack:
            guard state == .transferring || state == .closing else { return }
            peerTimestamp = header.timestamp
            statistics.acksReceived += 1
            newlyAcknowledged = nil
            let acknowledgedBefore = statistics.bytesAcknowledged
            let flightBefore = bytesInFlight
            processAcknowledgement(packet, now: now)
            var sample: UInt64?
            if header.timestampEcho != 0 {
                sample = takeSample(echo: header.timestampEcho, now: now)
            } else if let (sent, transmissions) = newlyAcknowledged, transmissions == 1 {
                sample = now - sent
                recordSample(now - sent)  // Karn's rule: only a packet sent once gives an unambiguous RTT
            }
            // An echoed timestamp can claim a round trip longer than the clock has run (a
            // forged or very old one): the transmission it names was then sent at time 0 at the latest.
            reviewTimeout(echoedSendTime: sample.map { now >= $0 ? now - $0 : 0 }, now: now)
            if isControlled, let (sent, _) = newlyAcknowledged {
                let rate = !isPaced ? nil : deliveryRate.takeSample(minimumRTT: statistics.rtt.count > 0 ? statistics.rtt.minimum : nil)
                congestion.onAcknowledged(AcknowledgementSample(
                    bytes: Int(statistics.bytesAcknowledged - acknowledgedBefore), sentTime: sent, rtt: sample,
                    smoothedRTT: timer.smoothedRTT, bytesInFlight: bytesInFlight, deliveryRate: rate,
                    isWindowLimited: 2 * flightBefore >= congestion.window, now: now))
                statistics.maxCongestionWindow = max(statistics.maxCongestionWindow, congestion.window)
                if observer != nil { reportCongestionIfDue(now: now) }
            }
        case .finAck:
            // A FIN-ACK comes only once the receiver verified the whole file: the data still
            // unacknowledged behind an early FIN arrived too.
            guard state == .closing || (state == .transferring && finSentEarly),
                  header.acknowledgement == space.wire(filled) + 1 else { return }
            takeSample(echo: header.timestampEcho, now: now)
            // The FIN-ACK acknowledges every byte, those an early FIN left outstanding too.
            statistics.bytesAcknowledged = bytesWritten
            while base < next {
                buffer.release(base)
                base += 1
            }
            bytesInFlight = 0
            peerTimestamp = header.timestamp  // the close acknowledgement echoes it, as proof
            if responseFollows && packet.payload.count > 0 { response = Array(packet.payload) }
            state = .finished
            closeAcknowledgementsDue = configuration.closeAcknowledgements
        case .pathChallenge:
            // Our address changed on the way (a NAT rebinding): prove that we receive at the
            // new one. Answered in any live state; a sender that did not announce it stays silent.
            guard configuration.answersPathChallenges, let challenge = try? PathPayload(decoding: packet.payload) else { return }
            statistics.pathChallengesAnswered += 1
            pathResponseDue = challenge
        case .syn, .data, .fin, .pathResponse:
            return  // a receiver never sends these; ignore rather than trust them
        }
    }

    /// What the SYN-ACK says of 0-RTT: the early data taken (packet 0 is acknowledged, not sent
    /// again), the response or that it follows in the FIN-ACK, a token for next time.
    private func takeZeroRTTAnswer(_ answer: SynAckPayload) {
        if configuration.addressToken != nil, let token = answer.addressToken { addressToken = token }
        guard synCarriesEarlyData else { return }
        if answer.tookEarlyData {
            statistics.earlyDataBytesTaken += buffer[0].length
            statistics.bytesAcknowledged += UInt64(buffer[0].length)
            buffer.release(0)
            base = 1
            next = 1
        }
        response = answer.response
        responseFollows = answer.responseFollows
    }

    private func processAcknowledgement(_ packet: PacketView, now: UInt64) {
        guard let acknowledged = space.index(of: packet.header.acknowledgement, near: base),
              acknowledged <= next else { return }  // acknowledges what was never sent: ignore
        peerWindowEdge = max(peerWindowEdge, acknowledged + UInt64(packet.header.window))
        let before = base
        observer?(now, .acknowledged(cumulative: acknowledged, sackBlocks: packet.sackCount, windowEdge: peerWindowEdge))
        if isSelectiveRepeat {
            processSelectiveAcknowledgement(packet, cumulative: acknowledged, now: now)
        } else {
            processCumulativeAcknowledgement(cumulative: acknowledged, now: now)
        }
        if base > before { lastAcknowledgementTime = now }
    }

    /// Marks packet `index` acknowledged (once) and counts it.
    func markAcknowledged(_ index: UInt64) {
        guard !buffer[index].acknowledged else { return }
        buffer[index].acknowledged = true
        leaveFlight(index)
        if isPaced { deliveryRate.onAcknowledged(buffer[index].rateSnapshot, bytes: buffer[index].length, now: eventTime) }
        // Only a packet sent once says which transmission arrived. Crediting a resent packet's
        // latest transmission when its original arrived would declare everything sent in
        // between lost (Karn's rule, applied to loss detection).
        if buffer[index].transmissions == 1 {
            largestAcknowledgedTransmission = max(largestAcknowledgedTransmission, buffer[index].transmissionNumber)
        }
        statistics.bytesAcknowledged += UInt64(buffer[index].length)
        newlyAcknowledged = (buffer[index].lastSent, buffer[index].transmissions)
    }

    /// Takes packet `index` out of the bytes in flight (acknowledged, or declared lost).
    func leaveFlight(_ index: UInt64) {
        guard buffer[index].inFlight else { return }
        buffer[index].inFlight = false
        bytesInFlight -= buffer[index].length
    }

    /// Declares packet `index` lost before its timer and tells the congestion controller.
    func declareLost(_ index: UInt64) {
        leaveFlight(index)
        let (bytes, sentTime) = (buffer[index].length, buffer[index].lastSent)
        reportingReaction(.loss) { congestion.onLoss(bytes: bytes, sentTime: sentTime, now: eventTime) }
    }

    /// A retransmission timeout resent packet `index` at `now`: the congestion controller
    /// reduced its window, and the first acknowledgement of that packet will say whether it had to.
    func noteTimeout(resending index: UInt64, now: UInt64) {
        if timeoutUnderReview == nil { timeoutUnderReview = (index, now) }
        // The timer was backed off already: twice in a row without an RTT sample in between.
        let (sentTime, persistent) = (buffer[index].lastSent, timer.backoffCount >= 2)
        reportingReaction(.timeout) { congestion.onRetransmissionTimeout(sentTime: sentTime, persistent: persistent, now: now) }
    }

    /// Once the packet a timeout resent is acknowledged: the timeout was spurious if the
    /// acknowledgement echoes a transmission sent before it (the original arrived, late).
    private func reviewTimeout(echoedSendTime: UInt64?, now: UInt64) {
        guard let review = timeoutUnderReview, review.index < base || buffer[review.index].acknowledged else { return }
        timeoutUnderReview = nil
        let spurious = echoedSendTime.map { $0 < review.time } ?? false
        reportingReaction(.undo) { congestion.onTimeoutVerdict(spurious: spurious, now: now) }
    }

    /// Go-Back-N's timer expired: everything in flight is presumed lost (and will be resent).
    func presumeFlightLost() {
        var index = base
        while index < next {
            leaveFlight(index)
            index += 1
        }
        noteTimeout(resending: base, now: eventTime)
    }

    /// Slides `base` over acknowledged packets, freeing their slots for new data.
    func advanceBase() {
        while base < next && buffer[base].acknowledged {
            buffer.release(base)
            base += 1
        }
        assert(base < next || bytesInFlight == 0, "bytes in flight with nothing outstanding")
    }

    @discardableResult
    private func takeSample(echo: UInt32, now: UInt64) -> UInt64? {
        guard let rtt = WireClock.roundTrip(echo: echo, now: now) else { return nil }
        recordSample(rtt)
        return rtt
    }

    private func recordSample(_ rtt: UInt64) {
        let before = timer.timeout
        timer.addSample(rtt)
        if timer.timeout != before { observer?(eventTime, .rtoChanged(rto: timer.timeout, smoothedRTT: timer.smoothedRTT)) }
        statistics.rtt.add(rtt)
    }

    // MARK: Timers

    /// When `handleTimeout` must be called next, or nil when no timer runs.
    public var nextDeadline: UInt64? {
        switch state {
        case .connecting:
            let synDeadline = controlLastSent.map { $0 + timer.timeout }
            guard let pacingDeadline else { return synDeadline }
            return min(pacingDeadline, synDeadline ?? .max)
        case .closing:
            return controlLastSent.map { $0 + timer.timeout }
        case .transferring:
            // (A FIN due to be resent waits for pollTransmit, not for a timer.)
            guard finSentEarly, !controlDue, let finSent = controlLastSent else { return transferDeadline }
            return min(transferDeadline ?? .max, finSent + timer.timeout)
        case .finished, .failed:
            return nil
        }
    }

    /// The deadline of the data timers, the pacer, the zero-window probe or the keepalive.
    private var transferDeadline: UInt64? {
        if let pacingDeadline { return min(pacingDeadline, dataTimerStart.map { $0 + timer.timeout } ?? .max) }
        if let start = dataTimerStart { return start + timer.timeout }
        if base == next && next < filled && next >= peerWindowEdge {
            return lastAcknowledgementTime + timer.timeout  // zero-window probe
        }
        if isWaitingForApplication { return lastTransmission + configuration.keepaliveInterval }
        return nil
    }

    /// Whether the FIN goes right behind the last DATA packet instead of once all of it is
    /// acknowledged: the receiver keeps it until the data is complete, which saves the sender a
    /// round trip at the end. Stop-and-wait keeps one packet in flight, FIN included.
    private var sendsFinEarly: Bool { configuration.mode != .stopAndWait }

    /// Everything sent is acknowledged and the application has not written the next packet
    /// (nor closed): only a keepalive tells the receiver the transfer is still alive.
    private var isWaitingForApplication: Bool { base == next && next == filled && !writingClosed }

    /// Acts on every timer that expired by `now`.
    public func handleTimeout(now: UInt64) {
        eventTime = now
        switch state {
        case .connecting, .closing:
            guard let sent = controlLastSent, now >= sent + timer.timeout else { return }
            if controlRetries >= configuration.maxRetries {
                state = .failed(state == .connecting
                    ? .peerUnreachable(attempts: controlRetries + 1)
                    : .retriesExhausted(what: "the FIN", attempts: controlRetries))
                return
            }
            controlRetries += 1
            statistics.timeouts += 1
            backOff()
            controlDue = true
            if state == .connecting { withdrawFirstFlight() }
        case .transferring:
            // An early FIN is resent on its timer without backing off or counting retries: the
            // data timers do both, and end the transfer if the receiver stays silent.
            if finSentEarly, let sent = controlLastSent, now >= sent + timer.timeout { controlDue = true }
            if let start = dataTimerStart, now >= start + timer.timeout {
                if isSelectiveRepeat { selectiveRepeatTimeout(now: now) } else { goBackNTimeout(now: now) }
            } else if base == next && next < filled && next >= peerWindowEdge
                        && now >= lastAcknowledgementTime + timer.timeout {
                probeAllowed = true
                lastAcknowledgementTime = now
                backOff()
            } else if isWaitingForApplication && now >= lastTransmission + configuration.keepaliveInterval {
                keepaliveDue = true
            }
        case .finished, .failed:
            return
        }
    }

    /// The SYN went unanswered: its first flight was lost with it, or is held by a receiver that
    /// will acknowledge it after all. No more of it goes; what went is resent after the SYN-ACK
    /// (counted as retransmissions, not timeouts: no congestion signal, the path was never used).
    private func withdrawFirstFlight() {
        isFirstFlightOpen = false
        var index = base
        while index < next {
            leaveFlight(index)
            buffer[index].transmissionNumber = 0  // its send-order entry no longer runs a timer
            retransmitQueue.append(index)
            index += 1
        }
        windowTimerStart = nil
    }

    /// The receiver granted a smaller window than the first flight filled: it discarded the
    /// packets from `index` on, so they count as never sent and go again once the window allows.
    private func takeBackFirstFlight(from index: UInt64) {
        var packet = index
        while packet < next {
            leaveFlight(packet)
            buffer[packet].transmissionNumber = 0
            buffer[packet].transmissions = 0
            packet += 1
        }
        next = index
    }

    /// Start time of the data retransmission timer that expires first.
    var dataTimerStart: UInt64? {
        isSelectiveRepeat ? earliestSelectiveRepeatSend : windowTimerStart
    }

    /// Records that packet `index` exceeded its timeouts; fails the transfer if it is one too many.
    func countTimeout(of index: UInt64) -> Bool {
        buffer[index].timeouts += 1
        observer?(eventTime, .timeout(index: index, rto: timer.timeout))
        guard buffer[index].timeouts <= configuration.maxRetries else {
            // Past an early FIN the data may all have arrived and only the answers been lost:
            // what the sender cannot know is whether its FIN was confirmed. Otherwise the index
            // and the bytes, as a user and a trace count them, not the wire's random sequence number.
            state = .failed(.retriesExhausted(what: finSentEarly ? "the FIN" : "data packet \(index) (file bytes from \(index * UInt64(mss)))",
                                              attempts: configuration.maxRetries))
            return false
        }
        return true
    }

    /// Doubles the timeout after an expiry, telling the observer.
    func backOff() {
        let before = timer.timeout
        timer.backOff()
        if timer.timeout != before { observer?(eventTime, .rtoChanged(rto: timer.timeout, smoothedRTT: timer.smoothedRTT)) }
    }

    // MARK: Output

    /// Writes the next datagram to send into `datagram` and returns its length, or nil when
    /// there is nothing to send now. Call until nil after every input.
    public func pollTransmit(into datagram: UnsafeMutableRawBufferPointer, now: UInt64) -> Int? {
        if let reset = resetToSend {
            resetToSend = nil
            return control(.reset, sequence: space.wire(next), payload: reset.encoded(), into: datagram, now: now)
        }
        if let response = pathResponseDue {
            pathResponseDue = nil
            if case .failed = state {} else {
                return control(.pathResponse, sequence: space.wire(next), payload: response.encoded(), into: datagram, now: now)
            }
        }
        switch state {
        case .connecting:
            pacingDeadline = nil
            if controlDue {
                controlDue = false
                // Early data is packet 0 complete by the first SYN; every copy of the SYN carries it.
                if controlLastSent == nil { synCarriesEarlyData = configuration.sendsEarlyData && filled >= 1
                    && buffer[0].length <= SynPayload.maxEarlyDataLength
                }
                controlLastSent = now
                var syn = SynPayload(mode: configuration.mode, mss: mss, window: UInt32(window),
                                     fileSize: configuration.fileSize, name: configuration.fileName)
                syn.delivery = configuration.delivery
                syn.retryBudget = configuration.retryBudget
                syn.sendsRedundantData = redundancy > 0
                syn.answersPathChallenges = configuration.answersPathChallenges
                syn.addressToken = configuration.addressToken.map { Array($0.prefix(SynPayload.maxTokenLength)) }
                if synCarriesEarlyData { syn.earlyData = Array(buffer.payload(0)) }
                return control(.syn, sequence: SequenceNumber(configuration.initialSequence), payload: syn.encoded(),
                               into: datagram, now: now)
            }
            // The first flight, behind the SYN; a packet still being filled waits for more bytes.
            guard isFirstFlightOpen, next < filled, next < firstFlightPackets, congestionAllows,
                  !isHeldByPacer(buffer[next].length, now: now) else { return nil }
            next += 1
            statistics.maxInFlight = max(statistics.maxInFlight, Int(next - base))
            return transmit(next - 1, urgent: next == filled || next == firstFlightPackets, into: datagram, now: now)
        case .transferring:
            pacingDeadline = nil
            // A FIN due again goes first, outside the congestion window (it carries no data):
            // behind a timeout's collapsed window, the resent data would hold it back.
            if finSentEarly && controlDue { return finPacket(into: datagram, now: now) }
            while let index = retransmitQueue.first {
                guard index >= base, index < next, !buffer[index].acknowledged else {
                    retransmitQueue.popFirst()
                    continue
                }
                guard congestionAllows, !isHeldByPacer(buffer[index].length, now: now) else { return nil }
                retransmitQueue.popFirst()
                statistics.retransmissions += 1
                return transmit(index, urgent: true, into: datagram, now: now)
            }
            if next < filled && ((next < sendLimit && congestionAllows) || probeAllowed) {
                if !probeAllowed && isHeldByPacer(buffer[next].length, now: now) { return nil }
                probeAllowed = false
                next += 1
                statistics.maxInFlight = max(statistics.maxInFlight, Int(next - base))
                // The last packet before the sender must wait asks for its ACK at once: a receiver
                // that delayed it would stall a window smaller than its ACK frequency.
                let fillsWindow = isControlled && bytesInFlight + buffer[next - 1].length + mss > congestion.window
                return transmit(next - 1, urgent: next == filled || next >= sendLimit || fillsWindow, into: datagram, now: now)
            }
            if isPaced && next == filled && !writingClosed && bytesInFlight + mss <= congestion.window {
                // Nothing to send and room to send it: samples now measure the application.
                deliveryRate.markAppLimited(bytesInFlight: bytesInFlight)
            }
            if keepaliveDue {
                keepaliveDue = false
                guard isWaitingForApplication else { return pollTransmit(into: datagram, now: now) }
                statistics.keepalivesSent += 1
                // An ACK from the sender carries nothing; the receiver takes it as a sign of life.
                return control(.ack, sequence: space.wire(next), payload: [], into: datagram, now: now)
            }
            guard writingClosed, next == filled, digest != nil else { return nil }
            if sendsFinEarly && (!finSentEarly || controlDue) {
                finSentEarly = true
                return finPacket(into: datagram, now: now)
            }
            guard base == filled else { return nil }
            state = .closing
            // An early FIN keeps its timer; the closing sender backs it off and counts its retries.
            controlDue = !finSentEarly
            controlRetries = 0
            return pollTransmit(into: datagram, now: now)
        case .closing:
            guard controlDue else { return nil }
            return finPacket(into: datagram, now: now)
        case .finished:
            guard closeAcknowledgementsDue > 0 else { return nil }
            closeAcknowledgementsDue -= 1
            return control(.ack, sequence: space.wire(filled) + 1, payload: [], into: datagram, now: now)
        case .failed:
            return nil
        }
    }

    private func finPacket(into datagram: UnsafeMutableRawBufferPointer, now: UInt64) -> Int? {
        guard let digest else { return nil }
        controlDue = false
        controlLastSent = now
        let fin = FinPayload(fileSize: bytesWritten, sha256: digest,
                             retransmitTimeoutMicros: UInt32(clamping: timer.timeout / 1_000))
        return control(.fin, sequence: space.wire(filled), payload: fin.encoded(), into: datagram, now: now)
    }

    /// Packets beyond this index may not be sent yet (window or the receiver's advertisement).
    private var sendLimit: UInt64 { min(peerWindowEdge, base + UInt64(window)) }

    /// Whether the pacer holds a packet of `bytes` back now (and until when, in `pacingDeadline`).
    private func isHeldByPacer(_ bytes: Int, now: UInt64) -> Bool {
        guard isPaced, let rate = congestion.pacingRate, rate > 0,
              let wait = pacer.delay(for: bytes, rate: rate, mss: mss, now: now) else { return false }
        pacingDeadline = wait
        return true
    }

    /// Whether the congestion window has room for one more packet (always, with nothing in
    /// flight: a sender never stalls on its own window).
    private var congestionAllows: Bool { !isControlled || bytesInFlight == 0 || bytesInFlight + mss <= congestion.window }

    private func transmit(_ index: UInt64, urgent: Bool, into datagram: UnsafeMutableRawBufferPointer,
                          now: UInt64) -> Int? {
        transmissionCounter += 1
        buffer[index].transmissionNumber = transmissionCounter
        buffer[index].lastSent = now
        buffer[index].transmissions += 1
        if isPaced { buffer[index].rateSnapshot = deliveryRate.onSent(bytesInFlight: bytesInFlight, now: now) }
        if !buffer[index].inFlight {
            buffer[index].inFlight = true
            bytesInFlight += buffer[index].length
        }
        if isPaced { pacer.spend(buffer[index].length) }
        if isControlled { congestion.onPacketSent(bytes: buffer[index].length, now: now) }
        observer?(now, .sent(index: index, bytes: buffer[index].length, retransmission: buffer[index].transmissions > 1))
        if isSelectiveRepeat {
            sendOrder.append((index, transmissionCounter))
        } else if windowTimerStart == nil {
            windowTimerStart = now
        }
        statistics.dataPacketsSent += 1
        statistics.datagramsSent += 1
        lastTransmission = now
        var header = PacketHeader(type: .data, flags: urgent ? PacketFlags.acknowledgeNow : 0,
                                  connectionID: configuration.connectionID, sequence: space.wire(index),
                                  timestamp: WireClock.timestamp(now), timestampEcho: peerTimestamp)
        let payload = buffer.payload(index)
        if redundancy > 0 {
            let copies = redundantCopies(for: index)
            if !copies.isEmpty {
                header.flags |= PacketFlags.redundant
                let copied = copies.reduce(0) { $0 + $1.bytes.count }
                statistics.redundantCopiesSent += copies.count
                statistics.redundantBytesSent += UInt64(copied)
                // Each copy is another chance for its packet: no timeout for it before this one's.
                for copy in copies { buffer[index - UInt64(copy.distance)].lastCopied = now }
                return try? PacketEncoder.encode(
                    header, payloadLength: RedundantPayload.headerSize(copies: copies.count) + copied + payload.count,
                    into: datagram) { RedundantPayload.write(copies: copies, primary: payload, into: $0) }
            }
        }
        return try? PacketEncoder.encode(header, payload: payload, into: datagram)
    }

    /// The packets before `index` still unacknowledged, nearest first, up to the configured
    /// redundancy and as many as fit beside packet `index` within the MSS.
    private func redundantCopies(for index: UInt64) -> [(distance: UInt16, bytes: UnsafeRawBufferPointer)] {
        var copies: [(distance: UInt16, bytes: UnsafeRawBufferPointer)] = []
        var size = buffer[index].length
        var distance: UInt64 = 1
        while distance <= UInt64(redundancy) && distance <= index && index - distance >= base {
            let earlier = index - distance
            distance += 1
            guard !buffer[earlier].acknowledged else { continue }
            let bytes = buffer.payload(earlier)
            let grown = size + bytes.count + RedundantPayload.blockHeaderSize + (copies.isEmpty ? RedundantPayload.countSize : 0)
            guard grown <= mss else { break }
            size = grown
            copies.append((UInt16(distance - 1), bytes))
        }
        return copies
    }

    private func control(_ type: PacketType, sequence: SequenceNumber, payload: [UInt8],
                         into datagram: UnsafeMutableRawBufferPointer, now: UInt64) -> Int? {
        statistics.datagramsSent += 1
        lastTransmission = now
        let header = PacketHeader(type: type, connectionID: configuration.connectionID, sequence: sequence,
                                  timestamp: WireClock.timestamp(now), timestampEcho: peerTimestamp)
        return payload.withUnsafeBytes { try? PacketEncoder.encode(header, payload: $0, into: datagram) }
    }
}
