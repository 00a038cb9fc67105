// Selective Repeat: cumulative plus SACK acknowledgements, a timer per packet (kept as one
// queue in send order), and only the missing packets resent, on timeout or once three
// later-sent packets were acknowledged (fast retransmit).

extension Sender {
    func processSelectiveAcknowledgement(_ packet: PacketView, cumulative acknowledged: UInt64, now: UInt64) {
        var index = base
        while index < acknowledged {
            markAcknowledged(index)
            index += 1
        }
        for blockIndex in 0..<packet.sackCount {
            let block = packet.sackBlock(at: blockIndex)
            guard let start = space.index(of: block.start, near: base),
                  let end = space.index(of: block.end, near: base) else { continue }
            var index = max(start, base)
            while index < min(end, next) {
                markAcknowledged(index)
                index += 1
            }
        }
        advanceBase()
        detectLossByPacketThreshold()
        detectLossByTime(echo: packet.header.timestampEcho, now: now)
    }

    /// RACK-style time threshold (RFC 8985): the echoed timestamp names a transmission that
    /// arrived; anything still outstanding that was sent more than a reordering window before
    /// it is lost. Unlike the packet threshold this also finds lost retransmissions, which
    /// otherwise wait for a timeout in a stalled window.
    private func detectLossByTime(echo: UInt32, now: UInt64) {
        guard let rtt = WireClock.roundTrip(echo: echo, now: now), rtt <= now else { return }
        newestDeliveredSendTime = max(newestDeliveredSendTime, now - rtt)
        let reorderingWindow = max(statistics.rtt.minimum / 4, 1_000_000)
        while let entry = sendOrder.first {
            guard isOutstanding(entry) else {
                sendOrder.popFirst()
                continue
            }
            guard buffer[entry.index].lastSent + reorderingWindow < newestDeliveredSendTime else { return }
            sendOrder.popFirst()
            retransmitQueue.append(entry.index)
            declareLost(entry.index)
            statistics.fastRetransmits += 1
            observer?(eventTime, .fastRetransmit(index: entry.index))
        }
    }

    /// Queues for retransmission every packet whose latest transmission is `threshold` or more
    /// transmissions older than the newest acknowledged one.
    private func detectLossByPacketThreshold() {
        let threshold = UInt64(configuration.fastRetransmitThreshold)
        while let entry = sendOrder.first, entry.transmission + threshold <= largestAcknowledgedTransmission {
            sendOrder.popFirst()
            if isOutstanding(entry) {
                retransmitQueue.append(entry.index)
                declareLost(entry.index)
                statistics.fastRetransmits += 1
                observer?(eventTime, .fastRetransmit(index: entry.index))
            }
        }
    }

    /// Whether a send-order entry is still the latest transmission of an unacknowledged packet.
    private func isOutstanding(_ entry: (index: UInt64, transmission: UInt64)) -> Bool {
        entry.index >= base && entry.index < next && !buffer[entry.index].acknowledged
            && buffer[entry.index].transmissionNumber == entry.transmission
    }

    /// Send time of the oldest outstanding transmission; drops stale entries on the way.
    var earliestSelectiveRepeatSend: UInt64? {
        while let entry = sendOrder.first {
            if isOutstanding(entry) { return buffer.timerStart(entry.index) }
            sendOrder.popFirst()
        }
        return nil
    }

    func selectiveRepeatTimeout(now: UInt64) {
        let timeout = timer.timeout
        var expired: UInt64?
        let backlog = retransmitQueue.count
        while let entry = sendOrder.first, buffer.timerStart(entry.index) + timeout <= now || !isOutstanding(entry) {
            sendOrder.popFirst()
            guard isOutstanding(entry) else { continue }
            guard countTimeout(of: entry.index) else { return }
            retransmitQueue.append(entry.index)
            leaveFlight(entry.index)
            if expired == nil { expired = entry.index }
        }
        if let first = expired {
            // What timed out goes before the backlog a small congestion window is still working
            // through: resent long ago, it is what the receiver waits for and what --max-retries
            // counts (TCP, too, resends its oldest segment first). Behind the backlog, a silent
            // receiver would make each packet wait a whole cycle of timeouts per retry.
            for _ in 0..<backlog { retransmitQueue.append(retransmitQueue.popFirst()!) }
            statistics.timeouts += 1
            backOff()
            noteTimeout(resending: first, now: now)
        }
    }
}
