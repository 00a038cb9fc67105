import Impairment
import RUDP
import RUDPSim
import Testing

/// A congestion-controlled sender granted a huge window reads only about a congestion window
/// ahead of what it sent, and its send buffer grows with what it holds: on loopback, reading the
/// whole 16,384-packet grant first held the first flight's successors back 28 ms.
@Suite struct SenderReadAheadTests {
    static let ms: UInt64 = 1_000_000

    @Test func aHugeGrantIsNotReadAheadAllAtOnce() throws {
        var configuration = SenderConfiguration(mode: .selectiveRepeat, mss: 1_000, window: 16_384, connectionID: 0xA1,
                                                initialSequence: 100, fileName: Array("f".utf8), fileSize: 50_000_000)
        configuration.congestionControl = .bbr
        let sender = Sender(configuration: configuration, now: 0)
        let file = [UInt8](repeating: 7, count: 20_000_000)
        var offset = file.withUnsafeBytes { sender.write($0) }
        #expect(offset == 10_000, "the first flight")
        let flight = ReceiverEndpointTests.datagrams(of: sender, now: 0)
        let syn = try flight[0].withUnsafeBytes { try PacketView.decode($0).header }
        let synAck = try PacketEncoder.encode(PacketHeader(type: .synAck, connectionID: syn.connectionID,
                                                           acknowledgement: syn.sequence + 1, window: 16_384, timestamp: 5,
                                                           timestampEcho: syn.timestamp),
                                              payload: SynAckPayload(mss: 1_000, window: 16_384).encoded())
        synAck.withUnsafeBytes { _ = sender.handle(datagram: $0, now: 10 * Self.ms) }
        #expect(sender.state == .transferring)
        // Ten packets in flight, a window of about ten: 64 packets more at most, not 16,374.
        #expect(sender.writableBytes == Sender.unsentReservePackets * 1_000)
        offset += file.withUnsafeBytes { sender.write(UnsafeRawBufferPointer(rebasing: $0[offset...])) }
        #expect(offset == 74_000)
        #expect(sender.writableBytes == 0)
        // The first flight acknowledged, the window opens; what the sender sends makes room again.
        let ack = try PacketEncoder.encode(PacketHeader(type: .ack, connectionID: syn.connectionID,
                                                        acknowledgement: syn.sequence + 11, window: 16_384, timestamp: 6,
                                                        timestampEcho: syn.timestamp))
        ack.withUnsafeBytes { _ = sender.handle(datagram: $0, now: 20 * Self.ms) }
        let sent = ReceiverEndpointTests.datagrams(of: sender, now: 20 * Self.ms)
        #expect(!sent.isEmpty)
        #expect(sender.writableBytes == sent.filter { ReceiverEndpointTests.type($0) == .data }.count * 1_000)
    }

    /// The buffer starts at 128 slots and doubles under a transfer whose flight grows past it
    /// (BBR on a path that loses and reorders some, CUBIC, which loss holds back, on a clean one):
    /// every byte arrives, once.
    @Test(arguments: [(CongestionAlgorithm.bbr, 0.02, 0.05), (.cubic, 0, 0)])
    func aGrowingSendBufferLosesNothing(algorithm: CongestionAlgorithm, loss: Double, reorder: Double) {
        var scenario = TransferScenario(mode: .selectiveRepeat, size: 6_000_000, seed: 11)
        scenario.window = 16_384
        scenario.congestionControl = algorithm
        var link = ImpairmentConfig()
        link.delay = 20 * Self.ms
        link.loss = loss
        link.reorder = reorder
        link.rate = 200_000_000
        link.queueLimit = 1_000
        scenario.impairBoth(link)
        let outcome = TransferSimulation.run(scenario)
        #expect(outcome.delivered, "\(outcome.senderState)")
        #expect(outcome.senderStatistics.maxInFlight > 256, "the flight outgrew the first slots twice")
    }
}
