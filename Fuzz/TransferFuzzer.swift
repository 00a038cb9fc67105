// libFuzzer target: a real Sender and Receiver joined by a network the fuzzer controls. It
// picks which in-flight datagram arrives next (any order), drops, duplicates or corrupts one
// (corruption as a real link does it: the CRC then fails), and moves the clock. When the input
// ends, the network heals (everything delivered in order, timers run) and the transfer must
// end within bounded virtual time.
//
// The invariant is the product's promise: the sender reports success only if the receiver
// confirmed exactly the bytes sent; a receiver never confirms other bytes; the only way the two
// may disagree is the one no protocol avoids, the receiver saved the file and every FIN-ACK was
// lost until the sender gave up on its FIN; and nothing hangs.

@_cdecl("LLVMFuzzerTestOneInput")
public func transferFuzzerEntry(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = FuzzInput(UnsafeRawBufferPointer(start: data, count: size))
    var harness = TransferHarness(&input)
    harness.run(&input)
    return 0
}

private let outgoing = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)

private struct TransferHarness {
    let sender: Sender
    var receiver: Receiver?
    var receiverConfiguration: ReceiverConfiguration
    let fileSize: Int
    var now: UInt64 = 0
    var written = 0
    /// Datagrams in flight, sender → receiver and back.
    var forward: [[UInt8]] = []
    var reverse: [[UInt8]] = []
    /// Bytes the receiver's application got, and whether it confirmed them.
    var received: [UInt8] = []
    var receiverConfirmed = false
    var steps = 0

    init(_ input: inout FuzzInput) {
        let mode = TransferMode.allCases[input.below(3)]
        let mss = input.within(1...32)
        let window = input.within(1...24)
        fileSize = input.chance(8) ? 0 : input.below(mss * 4 * window + 2)
        var configuration = SenderConfiguration(
            mode: mode, mss: mss, window: window,
            retransmission: input.chance(4) ? .fixed(UInt64(input.within(1...500)) * 1_000_000) : .adaptive,
            maxRetries: input.within(0...8), connectionID: input.integer(), initialSequence: input.initialSequence(),
            fileName: Array("fuzz.bin".utf8), fileSize: input.chance(4) ? nil : UInt64(fileSize))
        configuration.fastRetransmitThreshold = input.within(1...4)
        configuration.congestionControl = CongestionAlgorithm.allCases[input.below(CongestionAlgorithm.allCases.count)]
        // Drawn after the rest, so the corpus's earlier inputs keep their meaning.
        configuration.sendsEarlyData = input.chance(3)
        // Redundancy (Selective Repeat): short packets carry copies the receiver must take once.
        if input.chance(3) { configuration.redundancy = input.within(1...3) }
        sender = Sender(configuration: configuration, now: 0)
        receiverConfiguration = ReceiverConfiguration(initialSequence: input.integer())
        receiverConfiguration.maxWindow = input.within(1...32)
        receiverConfiguration.ackFrequency = input.within(1...8)
        receiverConfiguration.idleTimeout = UInt64(input.within(1...20)) * 1_000_000_000
    }

    mutating func run(_ input: inout FuzzInput) {
        settle()
        while !input.isExhausted && steps < 3_000 {
            steps += 1
            switch input.below(12) {
            case 0, 1, 2: arrive(forward: true, at: input.below(max(forward.count, 1)))
            case 3, 4, 5: arrive(forward: false, at: input.below(max(reverse.count, 1)))
            case 6: drop(forward: input.chance(2), at: input.below(64))
            case 7: duplicate(forward: input.chance(2), at: input.below(64))
            case 8: corrupt(forward: input.chance(2), at: input.below(64), bit: input.below(1 << 16))
            case 9: now += input.timeStep()
            case 10: if let deadline = earliestDeadline, deadline > now { now = deadline }
            default: arrive(forward: input.chance(2), at: 0)
            }
            settle()
        }
        heal()
        checkOutcome()
    }

    // MARK: The network

    mutating func arrive(forward toReceiver: Bool, at position: Int) {
        if toReceiver {
            guard position < forward.count else { return }
            let datagram = forward.remove(at: position)
            datagram.withUnsafeBytes { deliverToReceiver($0) }
        } else {
            guard position < reverse.count else { return }
            let datagram = reverse.remove(at: position)
            datagram.withUnsafeBytes { _ = sender.handle(datagram: $0, now: now) }
        }
    }

    mutating func drop(forward toReceiver: Bool, at position: Int) {
        if toReceiver { if position < forward.count { forward.remove(at: position) } }
        else if position < reverse.count { reverse.remove(at: position) }
    }

    mutating func duplicate(forward toReceiver: Bool, at position: Int) {
        if toReceiver { if position < forward.count { forward.append(forward[position]) } }
        else if position < reverse.count { reverse.append(reverse[position]) }
    }

    /// Flips one bit, as a noisy link does; the checksum is left alone.
    mutating func corrupt(forward toReceiver: Bool, at position: Int, bit: Int) {
        if toReceiver {
            guard position < forward.count, !forward[position].isEmpty else { return }
            forward[position][(bit / 8) % forward[position].count] ^= 1 << UInt8(bit % 8)
        } else {
            guard position < reverse.count, !reverse[position].isEmpty else { return }
            reverse[position][(bit / 8) % reverse[position].count] ^= 1 << UInt8(bit % 8)
        }
    }

    // MARK: The endpoints and their applications

    /// The receiving process: creates the connection on its first SYN, as the real server does.
    mutating func deliverToReceiver(_ datagram: UnsafeRawBufferPointer) {
        guard let packet = try? PacketView.decode(datagram) else { return }
        if let receiver {
            receiver.handle(packet: packet, now: now)
        } else if packet.header.type == .syn, let created = try? Receiver(syn: packet, configuration: receiverConfiguration, now: now) {
            // 0-RTT: the application answers early data at once.
            created.accept(now: now, response: created.offer.earlyData == nil ? nil : Self.response)
            receiver = created
        }
    }

    /// What the receiving application answers early data with.
    static let response = Array("the answer to early data".utf8)

    var earliestDeadline: UInt64? {
        [sender.nextDeadline, receiver?.nextDeadline].compactMap { $0 }.min()
    }

    /// What the processes do after every event: applications, timers, then every datagram out.
    mutating func settle() {
        // While connecting too: early data, or a controlled sender's first flight, goes with the SYN.
        if sender.state == .transferring || sender.state == .connecting {
            while written < fileSize && sender.writableBytes > 0 {
                let chunk = FuzzContent.bytes(from: written, count: min(fileSize - written, sender.writableBytes))
                written += chunk.withUnsafeBytes { sender.write($0) }
            }
            if written == fileSize && (sender.state == .transferring || sender.configuration.sendsEarlyData) {
                sender.finishWriting(sha256: FuzzContent.digest(size: fileSize))
            }
        }
        sender.handleTimeout(now: now)
        while let length = sender.pollTransmit(into: outgoing, now: now) {
            forward.append(Array(UnsafeRawBufferPointer(rebasing: outgoing[0..<length])))
            fuzzCheck(forward.count < 200_000, "the sender floods the network")
        }
        guard let receiver else { return }
        receiver.readDelivered { received.append(contentsOf: $0) }
        if case .finishing(let fin) = receiver.state {
            // The application's check, as IncomingFile.commit does it.
            if fin.fileSize == UInt64(received.count) && fin.sha256 == SHA256.hash(received) {
                receiver.confirmFinish(now: now)
                receiverConfirmed = true
            } else {
                receiver.fail(code: .integrityFailure, message: "SHA-256 mismatch", now: now)
            }
        }
        receiver.handleTimeout(now: now)
        while let length = receiver.pollTransmit(into: outgoing, now: now) {
            reverse.append(Array(UnsafeRawBufferPointer(rebasing: outgoing[0..<length])))
            fuzzCheck(reverse.count < 200_000, "the receiver floods the network")
        }
    }

    var senderDone: Bool {
        switch sender.state {
        case .finished, .failed: true
        default: false
        }
    }

    /// A perfect network from now on: everything in flight arrives, in order, at once; time
    /// jumps to the next deadline when nothing is in flight. Both ends must be done in bounded time.
    mutating func heal() {
        let limit = now + 4 * 3_600 * 1_000_000_000
        var rounds = 0
        while !(senderDone && (receiver?.isReclaimable ?? true)) {
            rounds += 1
            fuzzCheck(rounds < 1_000_000, "no end after \(rounds) rounds: sender \(sender.state), receiver \(String(describing: receiver?.state))")
            if !forward.isEmpty || !reverse.isEmpty {
                let inFlight = (forward, reverse)
                forward.removeAll()
                reverse.removeAll()
                for datagram in inFlight.0 { datagram.withUnsafeBytes { deliverToReceiver($0) } }
                for datagram in inFlight.1 { datagram.withUnsafeBytes { _ = sender.handle(datagram: $0, now: now) } }
            } else if let deadline = earliestDeadline {
                fuzzCheck(deadline >= now, "a deadline in the past")
                now = max(now, deadline)
            } else {
                fuzzCheck(false, "deadlock: nothing in flight, no timer; sender \(sender.state), receiver \(String(describing: receiver?.state))")
            }
            fuzzCheck(now <= limit, "still running 4 hours of virtual time after the network healed")
            settle()
        }
    }

    func checkOutcome() {
        let expected = FuzzContent.bytes(from: 0, count: fileSize)
        if let response = sender.response, let receiver {
            fuzzCheck(response == Array(Self.response.prefix(receiver.mss)), "the sender holds a response never sent")
        }
        if receiverConfirmed {
            fuzzCheck(received == expected, "the receiver confirmed bytes that differ from the file")
        }
        switch sender.state {
        case .finished:
            fuzzCheck(receiverConfirmed, "the sender finished but the receiver never confirmed")
        case .failed(let error):
            if receiverConfirmed {
                // The one unavoidable disagreement: the file is saved but no FIN-ACK got through.
                guard case .retriesExhausted(let what, _) = error, what == "the FIN" else {
                    fuzzCheck(false, "the receiver saved the file but the sender failed with: \(error)")
                    return
                }
            }
        default:
            fuzzCheck(false, "the sender is still \(sender.state)")
        }
    }
}
