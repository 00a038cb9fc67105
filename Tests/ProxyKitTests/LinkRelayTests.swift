#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Impairment
import SystemKit
import Synchronization
import Testing

@testable import ProxyKit

/// A `LinkRelay` between two socket pairs standing in for the TUN devices, running on its own
/// thread: the test writes "packets" on `sideA`/`sideB` and reads what the relay delivers.
/// SOCK_SEQPACKET keeps packet boundaries, as a TUN descriptor does, and needs no privilege.
final class RunningLinkRelay: Sendable {
    let relay: LinkRelay
    /// The test's end of side A (what namespace A's kernel would send and receive).
    let sideA: Int32
    /// The test's end of side B.
    let sideB: Int32
    private let relayEnds: [Int32]
    private let stopSwitch: StopSwitch
    private let done = DispatchSemaphore(value: 0)
    private let outcome = Mutex<Result<LinkStatistics, LinkError>?>(nil)
    private let reportsSeen = Mutex<[LinkStatistics]>([])

    init(forward: ImpairmentConfig = .none, reverse: ImpairmentConfig = .none, seed: UInt64 = 1,
         statisticsInterval: UInt64? = nil, capturePath: String? = nil) throws {
        let (testA, relayA) = try Self.packetPair()
        let (testB, relayB) = try Self.packetPair()
        sideA = testA
        sideB = testB
        relayEnds = [relayA, relayB]
        relay = LinkRelay(a: relayA, b: relayB, labelA: "side A", labelB: "side B", forward: forward,
                          reverse: reverse, seed: seed, statisticsInterval: statisticsInterval)
        if let capturePath { try relay.capture(to: capturePath, source: "test link") }
        stopSwitch = try StopSwitch()
        let thread = Thread { [self] in
            let result = Result { () throws(LinkError) -> LinkStatistics in
                try relay.run(stopWhenReadable: stopSwitch.fileDescriptor,
                              onReport: { report in self.reportsSeen.withLock { $0.append(report) } })
            }
            outcome.withLock { $0 = result }
            done.signal()
        }
        thread.start()
    }

    deinit {
        for fd in relayEnds + [sideA, sideB] { close(fd) }
    }

    var reports: [LinkStatistics] { reportsSeen.withLock { $0 } }

    /// Stops the relay and returns its final statistics (or the error that ended it).
    func stop() -> Result<LinkStatistics, LinkError>? {
        stopSwitch.stop()
        return finished(within: 10)
    }

    /// How the run ended, waiting up to `seconds`; nil if it is still running.
    func finished(within seconds: Double) -> Result<LinkStatistics, LinkError>? {
        guard done.wait(timeout: .now() + seconds) == .success else { return nil }
        done.signal()
        return outcome.withLock { $0 }
    }

    func send(_ packet: [UInt8], from side: Int32) {
        let written = packet.withUnsafeBytes { write(side, $0.baseAddress, $0.count) }
        #expect(written == packet.count)
    }

    /// The next packet arriving at `side`, or nil after `timeout` seconds.
    func receive(at side: Int32, timeout: Double = 2) -> [UInt8]? {
        var entry = pollfd(fd: side, events: Int16(POLLIN), revents: 0)
        guard poll(&entry, 1, Int32(timeout * 1000)) == 1 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 65_536)
        let count = buffer.withUnsafeMutableBytes { read(side, $0.baseAddress, $0.count) }
        return count > 0 ? Array(buffer.prefix(count)) : nil
    }

    /// Every packet arriving at `side` until none comes for `quiet` seconds.
    func drain(_ side: Int32, quiet: Double = 0.3) -> [[UInt8]] {
        var packets: [[UInt8]] = []
        while let packet = receive(at: side, timeout: quiet) { packets.append(packet) }
        return packets
    }

    private static func packetPair() throws -> (Int32, Int32) {
        var ends: [Int32] = [-1, -1]
        #if canImport(Glibc)
        let type = Int32(SOCK_SEQPACKET.rawValue)
        #else
        let type = SOCK_SEQPACKET
        #endif
        guard socketpair(AF_UNIX, type, 0, &ends) == 0 else { throw SystemError(errno: errno, call: "socketpair") }
        for end in ends {
            // Room for the bursts the tests send at once.
            var size: Int32 = 4 << 20
            setsockopt(end, SOL_SOCKET, SO_SNDBUF, &size, socklen_t(MemoryLayout<Int32>.size))
            setsockopt(end, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        try Posix.setNonBlocking(ends[1], true)
        return (ends[0], ends[1])
    }
}

@Suite("TUN link: the relay loop between two packet descriptors")
struct LinkRelayTests {
    private func udpPacket(_ number: Int, size: Int = 100) -> [UInt8] {
        var payload = TestPackets.payload(size)
        payload[0] = UInt8(number & 0xFF)
        payload[1] = UInt8(number >> 8)
        return TestPackets.ipv4(protocol: 17, transport: TestPackets.udp(payload: payload))
    }

    @Test("Without impairments every packet crosses unchanged and in order, both ways")
    func identity() throws {
        let link = try RunningLinkRelay()
        let forward = (0..<200).map { udpPacket($0, size: 50 + $0) }
        let reverse = (0..<50).map { udpPacket(1000 + $0) }
        for packet in forward { link.send(packet, from: link.sideA) }
        for packet in reverse { link.send(packet, from: link.sideB) }
        #expect(link.drain(link.sideB) == forward)
        #expect(link.drain(link.sideA) == reverse)
        let statistics = try #require(try link.stop()?.get())
        #expect(statistics.isFinal)
        #expect(statistics.forward.received == 200 && statistics.forward.sent == 200 && statistics.forward.dropped == 0)
        #expect(statistics.reverse.received == 50 && statistics.reverse.sent == 50)
    }

    @Test("Delay holds each packet for the configured time, per direction")
    func delay() throws {
        var slow = ImpairmentConfig()
        slow.delay = 30_000_000
        let link = try RunningLinkRelay(forward: slow)
        var forwardDelays: [Double] = []
        var reverseDelays: [Double] = []
        for index in 0..<5 {
            let start = MonotonicClock.now()
            link.send(udpPacket(index), from: link.sideA)
            _ = try #require(link.receive(at: link.sideB))
            forwardDelays.append(Double(MonotonicClock.now() - start) / 1e6)
            let back = MonotonicClock.now()
            link.send(udpPacket(index), from: link.sideB)
            _ = try #require(link.receive(at: link.sideA))
            reverseDelays.append(Double(MonotonicClock.now() - back) / 1e6)
        }
        #expect(forwardDelays.allSatisfy { $0 >= 30 }, "\(forwardDelays)")
        #expect(forwardDelays.sorted()[2] < 33, "median \(forwardDelays.sorted()[2]) ms for a 30 ms delay")
        #expect(reverseDelays.sorted()[2] < 3, "median \(reverseDelays.sorted()[2]) ms without delay")
        _ = link.stop()
    }

    @Test("Loss and scripted drops apply to their own direction only")
    func lossPerDirection() throws {
        var lossy = ImpairmentConfig()
        lossy.loss = 0.25
        var scripted = ImpairmentConfig()
        scripted.scriptedDrops = [2...2, 5...6]
        let link = try RunningLinkRelay(forward: lossy, reverse: scripted, seed: 9)
        for index in 0..<400 { link.send(udpPacket(index), from: link.sideA) }
        for index in 1...8 { link.send(udpPacket(index), from: link.sideB) }
        let arrivedForward = link.drain(link.sideB)
        let arrivedReverse = link.drain(link.sideA)
        // Binomial(400, 0.75): mean 300, sd 8.7.
        #expect((255...345).contains(arrivedForward.count))
        #expect(arrivedReverse.map { Int($0[28]) } == [1, 3, 4, 7, 8])
        let statistics = try #require(try link.stop()?.get())
        #expect(statistics.forward.impairment.droppedLoss == 400 - arrivedForward.count)
        #expect(statistics.reverse.impairment.droppedScripted == 3)
    }

    @Test("Corruption flips one payload bit, never a header bit, and counts only packets the loss stages kept")
    func corruption() throws {
        var config = ImpairmentConfig()
        config.corrupt = 1
        config.loss = 0.5
        let link = try RunningLinkRelay(forward: config, seed: 4)
        let sent = (0..<200).map { index in
            TestPackets.ipv4(protocol: 6, optionWords: 1,
                             transport: TestPackets.tcp(optionWords: 3, payload: TestPackets.payload(64 + index % 7)))
        }
        for packet in sent { link.send(packet, from: link.sideA) }
        let arrived = link.drain(link.sideB)
        #expect((60...140).contains(arrived.count))
        for packet in arrived {
            // Headers are 24 (IP with options) + 32 (TCP with options) bytes; the length tells
            // which payload size was sent.
            let original = try #require(sent.first { $0.count == packet.count })
            #expect(Array(packet.prefix(56)) == Array(original.prefix(56)))
            let differingBits = zip(packet, original).map { ($0 ^ $1).nonzeroBitCount }.reduce(0, +)
            #expect(differingBits == 1)
        }
        let statistics = try #require(try link.stop()?.get())
        #expect(statistics.forward.impairment.corrupted == arrived.count)
        #expect(statistics.forward.impairment.received == 200)
    }

    @Test("Statistics reports arrive at the interval, cumulative")
    func reports() throws {
        let link = try RunningLinkRelay(statisticsInterval: 50_000_000)
        link.send(udpPacket(1), from: link.sideA)
        _ = link.receive(at: link.sideB)
        usleep(180_000)
        let final = try #require(try link.stop()?.get())
        let reports = link.reports
        #expect(reports.count >= 2 && reports.count <= 5, "\(reports.count) reports in 180 ms at 50 ms")
        #expect(reports.allSatisfy { !$0.isFinal })
        #expect(reports.last?.forward.sent == 1)
        #expect(final.forward.sent == 1 && final.elapsed >= 180_000_000)
    }

    @Test("A device that goes away ends the run with an error naming its side")
    func deviceGone() throws {
        let link = try RunningLinkRelay()
        shutdown(link.sideB, Int32(SHUT_RDWR))
        let ended = try #require(link.finished(within: 5), "the relay kept running after its device closed")
        guard case .failure(let error) = ended else {
            Issue.record("expected an error, got \(ended)")
            return
        }
        #expect(error.message.contains("side B"))
    }
}
