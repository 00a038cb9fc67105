import RUDP
import Testing

/// A sender whose application is slow to write (a pipe that pauses) keeps the receiver from
/// giving the transfer up as idle.
@Suite struct KeepaliveTests {
    static let ms: UInt64 = 1_000_000

    /// A sender and a receiver wired back to back (no loss, no delay), driven on a virtual clock.
    final class Pair {
        let sender: Sender
        var receiver: Receiver?
        let receiverIdleTimeout: UInt64
        var now: UInt64 = 0
        private var datagram = [UInt8](repeating: 0, count: 4_096)

        init(keepaliveInterval: UInt64, receiverIdleTimeout: UInt64) {
            var configuration = SenderConfiguration(mode: .selectiveRepeat, mss: 100, window: 8, connectionID: 42,
                                                    initialSequence: 1_000, fileName: Array("pipe".utf8), fileSize: nil)
            configuration.keepaliveInterval = keepaliveInterval
            sender = Sender(configuration: configuration, now: 0)
            self.receiverIdleTimeout = receiverIdleTimeout
        }

        /// Moves datagrams both ways until neither side has anything to send.
        func exchange() {
            var moved = true
            while moved {
                moved = false
                while let length = datagram.withUnsafeMutableBytes({ sender.pollTransmit(into: $0, now: now) }) {
                    moved = true
                    datagram.withUnsafeBytes { raw in
                        let bytes = UnsafeRawBufferPointer(rebasing: raw[0..<length])
                        if let receiver {
                            _ = receiver.handle(datagram: bytes, now: now)
                        } else if let syn = try? PacketView.decode(bytes) {
                            var configuration = ReceiverConfiguration(initialSequence: 7)
                            configuration.idleTimeout = receiverIdleTimeout
                            configuration.idleTimeoutFollowsSender = false  // as `rudp-recv --idle-timeout` sets it
                            receiver = try? Receiver(syn: syn, configuration: configuration, now: now)
                            receiver?.accept(now: now)
                        }
                    }
                }
                guard let receiver else { continue }
                receiver.readDelivered { _ in }
                if case .finishing = receiver.state { receiver.confirmFinish(now: now) }
                while let length = datagram.withUnsafeMutableBytes({ receiver.pollTransmit(into: $0, now: now) }) {
                    moved = true
                    datagram.withUnsafeBytes { _ = sender.handle(datagram: UnsafeRawBufferPointer(rebasing: $0[0..<length]), now: now) }
                }
            }
        }

        /// Runs every timer that falls due until `end`.
        func advance(to end: UInt64) {
            while now < end {
                let deadlines = [sender.nextDeadline, receiver?.nextDeadline, end].compactMap { $0 }
                now = max(now + 1, deadlines.min()!)
                sender.handleTimeout(now: now)
                receiver?.handleTimeout(now: now)
                exchange()
            }
        }

        func write(_ count: Int) {
            #expect([UInt8](repeating: 5, count: count).withUnsafeBytes { sender.write($0) } == count)
            exchange()
        }
    }

    /// Three seconds of silence from the application against a receiver that gives up after one.
    static func pause(keepaliveInterval: UInt64) -> Pair {
        let pair = Pair(keepaliveInterval: keepaliveInterval, receiverIdleTimeout: 1_000 * ms)
        pair.exchange()  // SYN, SYN-ACK
        #expect(pair.sender.state == .transferring)
        pair.write(300)
        #expect(pair.sender.statistics.bytesAcknowledged == 300)
        pair.advance(to: pair.now + 3_000 * ms)
        return pair
    }

    @Test func keepalivesCarryAPausedTransferPastTheReceiversIdleTimeout() {
        let pair = Self.pause(keepaliveInterval: 250 * Self.ms)
        #expect(pair.receiver?.state == .established)
        #expect(pair.sender.state == .transferring)
        // One every 250 ms of silence, and never while data is in flight.
        #expect((11...12).contains(pair.sender.statistics.keepalivesSent), "\(pair.sender.statistics.keepalivesSent) keepalives")
        pair.write(250)
        pair.sender.finishWriting(sha256: SHA256.hash([UInt8](repeating: 5, count: 550)))
        pair.advance(to: pair.now + 100 * Self.ms)
        #expect(pair.sender.state == .finished)
        #expect(pair.receiver?.statistics.bytesDelivered == 550)
    }

    @Test func withoutKeepalivesThePausedTransferIsGivenUp() {
        let pair = Self.pause(keepaliveInterval: 3_600_000 * Self.ms)
        #expect(pair.sender.statistics.keepalivesSent == 0)
        guard case .failed(.idleTimeout) = pair.receiver?.state else {
            Issue.record("the receiver should have given up, it is \(String(describing: pair.receiver?.state))")
            return
        }
    }

    @Test func noKeepaliveWhileDataIsInFlightOrAfterTheEnd() {
        let pair = Pair(keepaliveInterval: 250 * Self.ms, receiverIdleTimeout: 10_000 * Self.ms)
        pair.exchange()
        pair.write(100)
        pair.sender.finishWriting(sha256: SHA256.hash([UInt8](repeating: 5, count: 100)))
        pair.advance(to: pair.now + 2_000 * Self.ms)
        #expect(pair.sender.state == .finished)
        #expect(pair.sender.statistics.keepalivesSent == 0)
    }
}
