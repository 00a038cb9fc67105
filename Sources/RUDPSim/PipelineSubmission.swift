import Impairment
import RUDP

extension ImpairmentPipeline {
    /// Submits every datagram `endpoint` has to send at `now`, each written into `datagram`,
    /// calling `afterEach` after each one (an application may write more); true if there was any.
    func submitAll(from endpoint: some ConnectionEndpoint, through datagram: UnsafeMutableRawBufferPointer, now: UInt64,
                   afterEach: () -> Void = {}) -> Bool {
        var sent = false
        while let length = endpoint.pollTransmit(into: datagram, now: now) {
            submit(UnsafeRawBufferPointer(rebasing: datagram[0..<length]), tag: 0, now: now)
            sent = true
            afterEach()
        }
        return sent
    }
}
