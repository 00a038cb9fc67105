// Go-Back-N (and stop-and-wait, its window-1 case): cumulative acknowledgements, one timer for
// the oldest outstanding packet, and on expiry the whole outstanding window resent.

extension Sender {
    func processCumulativeAcknowledgement(cumulative acknowledged: UInt64, now: UInt64) {
        guard acknowledged > base else { return }  // duplicate ACKs carry no news for Go-Back-N
        var index = base
        while index < acknowledged {
            markAcknowledged(index)
            index += 1
        }
        advanceBase()
        windowTimerStart = base < next ? now : nil
    }

    func goBackNTimeout(now: UInt64) {
        guard countTimeout(of: base) else { return }
        statistics.timeouts += 1
        backOff()
        presumeFlightLost()
        retransmitQueue.removeAll()
        var index = base
        while index < next {
            retransmitQueue.append(index)
            index += 1
        }
        windowTimerStart = now
    }
}
