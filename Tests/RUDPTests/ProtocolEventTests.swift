import RUDP
import Testing

/// The events a traced sender reports, for `--trace` files and time-sequence diagrams.
@Suite struct ProtocolEventTests {
    final class Recorder: @unchecked Sendable {
        var events: [(UInt64, ProtocolEvent)] = []
    }

    @Test func aTimeoutAndItsRetransmissionAreReported() throws {
        let isn: UInt32 = 100
        let sender = Sender(configuration: SenderConfiguration(mode: .goBackN, mss: 100, window: 2, connectionID: 1,
                                                               initialSequence: isn, fileName: [], fileSize: 200), now: 0)
        let recorder = Recorder()
        sender.observer = { now, event in recorder.events.append((now, event)) }
        var buffer = [UInt8](repeating: 0, count: 2_048)
        func drain(_ now: UInt64) { while buffer.withUnsafeMutableBytes({ sender.pollTransmit(into: $0, now: now) }) != nil {} }
        drain(0)
        let synAck = try PacketEncoder.encode(
            PacketHeader(type: .synAck, connectionID: 1, acknowledgement: SequenceNumber(isn) + 1, window: 2, timestampEcho: 0),
            payload: SynAckPayload(mss: 100, window: 2).encoded())
        synAck.withUnsafeBytes { _ = sender.handle(datagram: $0, now: 1_000_000) }
        _ = [UInt8](repeating: 1, count: 200).withUnsafeBytes { sender.write($0) }
        drain(1_000_000)
        let deadline = try #require(sender.nextDeadline)
        sender.handleTimeout(now: deadline)
        drain(deadline)
        let ack = try PacketEncoder.encode(PacketHeader(type: .ack, connectionID: 1, acknowledgement: SequenceNumber(isn) + 3,
                                                        window: 2, timestampEcho: 0))
        ack.withUnsafeBytes { _ = sender.handle(datagram: $0, now: deadline + 1_000_000) }

        let events = recorder.events.map(\.1)
        #expect(events.filter { if case .sent(_, _, false) = $0 { true } else { false } }.count == 2)
        #expect(events.filter { if case .sent(_, _, true) = $0 { true } else { false } }.count == 2, "GBN resends both")
        #expect(events.contains(.timeout(index: 0, rto: RetransmissionTimer.defaultInitial)))
        #expect(events.contains { if case .rtoChanged(let rto, _) = $0 { rto == 2 * RetransmissionTimer.defaultInitial } else { false } })
        #expect(events.last == .acknowledged(cumulative: 2, sackBlocks: 0, windowEdge: 4))
        #expect(recorder.events.map(\.0) == recorder.events.map(\.0).sorted(), "events in time order")
    }
}
