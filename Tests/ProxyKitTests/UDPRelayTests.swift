import Foundation
import Impairment
import SystemKit
import Testing

@testable import ProxyKit

/// The relay on real loopback sockets: timing, rate, scripted drops, reordering, several
/// clients, IPv6, idle clients. Serialized, so that timing is not disturbed by sibling tests.
@Suite(.serialized) struct UDPRelayTests {
    @Test func datagramsGoBothWaysUntouchedWithoutImpairment() throws {
        let server = try Endpoint(), client = try Endpoint()
        let relay = try RunningRelay(to: server.address)
        let big = (0..<9_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        for payload in [[UInt8]("hello".utf8), [], big] {
            try client.send(payload, to: relay.address)
            let there = try #require(try server.receive())
            #expect(there.bytes == payload)
            #expect(there.from != client.address, "the server sees the relay's upstream socket")
            try server.send(payload.reversed(), to: there.from)
            let back = try #require(try client.receive())
            #expect(back.bytes == payload.reversed())
            #expect(back.from == relay.address)
        }
        let stats = try relay.stop()
        #expect(stats.isFinal)
        #expect(stats.forward.received == 3 && stats.forward.sent == 3)
        #expect(stats.reverse.received == 3 && stats.reverse.sent == 3)
        #expect(stats.totalClients == 1)
    }

    @Test func aBurstKeepsItsOrderAndLosesNothing() throws {
        let server = try Endpoint(), client = try Endpoint()
        let relay = try RunningRelay(to: server.address)
        for number in 1...200 { try client.send(probe(number: UInt32(number), size: 500), to: relay.address) }
        let numbers = try server.receiveAll().map { readProbe($0.bytes).number }
        #expect(numbers == Array(1...200))
        let stats = try relay.stop()
        #expect(stats.forward.sent == 200 && stats.forward.dropped == 0)
    }

    @Test func datagramsOfMixedSizesKeepTheirBoundariesThroughBatchedSends() throws {
        let server = try Endpoint(), client = try Endpoint()
        let relay = try RunningRelay(to: server.address)
        // Runs of equal sizes, broken by shorter, longer and empty datagrams.
        let sizes = [1200, 1200, 1200, 700, 1200, 1300, 1300, 0, 64, 64, 9000, 9000, 12, 1200]
        let payloads = sizes.enumerated().map { number, size in
            (0..<size).map { UInt8(truncatingIfNeeded: $0 &+ number &* 31) }
        }
        for payload in payloads { try client.send(payload, to: relay.address) }
        let received = try server.receiveAll().map(\.bytes)
        #expect(received.map(\.count) == sizes)
        #expect(received == payloads)
        #expect(try relay.stop().forward.sent == sizes.count)
    }

    @Test func runsCoalescedByTheKernelAreSplitBackIntoDatagrams() throws {
        let server = try Endpoint()
        let relay = try RunningRelay(to: server.address)
        // A sender using segmentation offload, as rudp-send does: one system call per run,
        // which the relay's socket may receive as one coalesced buffer.
        let socket = try UDPSocket(connectedTo: relay.address)
        let sender = SegmentingSender(socket: socket)
        for number in 1...61 {
            let datagram = probe(number: UInt32(number), size: number == 61 ? 300 : 1000)
            let space = try sender.reserve(capacity: datagram.count)
            space.copyBytes(from: datagram)
            try sender.commit(length: datagram.count)
            if number % 20 == 0 { try sender.flush() }
        }
        try sender.flush()
        let arrivals = try server.receiveAll()
        #expect(arrivals.map { readProbe($0.bytes).number } == Array(1...61))
        #expect(arrivals.map(\.bytes.count) == Array(repeating: 1000, count: 60) + [300])
        let stats = try relay.stop()
        #expect(stats.forward.received == 61, "each datagram is impaired and counted on its own")
    }

    @Test func delayAddsTheConfiguredOneWayDelay() throws {
        let server = try Endpoint(), client = try Endpoint()
        var config = ImpairmentConfig()
        config.delay = 20_000_000
        let relay = try RunningRelay(to: server.address, both: config)
        var delays: [UInt64] = []
        for number in 1...40 {
            try client.send(probe(number: UInt32(number)), to: relay.address)
            let arrival = try #require(try server.receive())
            delays.append(arrival.time - readProbe(arrival.bytes).sentAt)
        }
        delays.sort()
        let median = Double(delays[delays.count / 2]) / 1e6
        #expect(abs(median - 20) <= 1, "median one-way delay \(median) ms")
        #expect(Double(delays[0]) / 1e6 >= 20, "never early")
        let stats = try relay.stop()
        #expect(stats.forward.impairment.delayed == 40)
    }

    @Test func rateLimitDeliversAtTheConfiguredRate() throws {
        let server = try Endpoint(), client = try Endpoint()
        var config = ImpairmentConfig()
        config.rate = 8_000_000
        config.queueLimit = 10_000
        let relay = try RunningRelay(to: server.address, both: config)
        // 1,200 datagrams of 1,000 bytes offered at 16 Mbit/s (2,000/s): twice the bottleneck.
        let count = 1_200, size = 1_000
        let receiver = BackgroundReceiver(server, quiet: 0.5)
        let start = MonotonicClock.now()
        for number in 1...count {
            try client.send(probe(number: UInt32(number), size: size), to: relay.address)
            if number % 10 == 0 {
                let due = start + UInt64(number) * 500_000
                let now = MonotonicClock.now()
                if due > now { usleep(UInt32((due - now) / 1000)) }
            }
        }
        let arrivals = receiver.finish()
        #expect(arrivals.count == count, "nothing dropped with a big enough queue")
        let first = try #require(arrivals.first), last = try #require(arrivals.last)
        let bitsPerSecond = Double((arrivals.count - 1) * size * 8) / (Double(last.time - first.time) / 1e9)
        #expect(abs(bitsPerSecond / 8_000_000 - 1) <= 0.10, "measured \(bitsPerSecond / 1e6) Mbit/s")
        let stats = try relay.stop()
        #expect(stats.forward.impairment.droppedQueue == 0)
    }

    @Test func scriptedDropsRemoveExactlyThoseDatagrams() throws {
        let server = try Endpoint(), client = try Endpoint()
        var forward = ImpairmentConfig()
        forward.scriptedDrops = [3...3, 7...7]
        let relay = try RunningRelay(UDPRelay.Configuration(listenAddress: .loopback(.ipv4, port: 0),
                                                            serverAddress: server.address, forward: forward, seed: 1))
        for number in 1...10 { try client.send(probe(number: UInt32(number)), to: relay.address) }
        let arrivals = try server.receiveAll()
        #expect(arrivals.map { readProbe($0.bytes).number } == [1, 2, 4, 5, 6, 8, 9, 10])
        // The reverse direction is not scripted: all its datagrams come back.
        let upstream = try #require(arrivals.first).from
        for number in 1...10 { try server.send(probe(number: UInt32(number)), to: upstream) }
        #expect(try client.receiveAll().count == 10)
        let stats = try relay.stop()
        #expect(stats.forward.impairment.droppedScripted == 2 && stats.forward.dropped == 2)
        #expect(stats.reverse.dropped == 0)
        #expect(stats.forward.balances && stats.reverse.balances)
    }

    @Test func reorderedDatagramsArriveAfterLaterOnes() throws {
        let server = try Endpoint(), client = try Endpoint()
        var config = ImpairmentConfig()
        config.reorder = 0.2
        config.reorderGap = 20_000_000
        let relay = try RunningRelay(to: server.address, both: config, seed: 7)
        for number in 1...100 {
            try client.send(probe(number: UInt32(number)), to: relay.address)
            usleep(1_000)
        }
        let numbers = try server.receiveAll().map { readProbe($0.bytes).number }
        #expect(numbers.sorted() == Array(1...100), "reordering loses nothing")
        var highest: UInt32 = 0
        var overtaken = 0
        for number in numbers {
            if number < highest { overtaken += 1 } else { highest = number }
        }
        let stats = try relay.stop()
        #expect(stats.forward.impairment.heldBackForReorder > 0)
        #expect(overtaken > 0)
        #expect(overtaken == stats.forward.impairment.reordered, "the server sees the order the relay reports")
    }

    @Test func twoClientsTalkingAtOnceGetTheirOwnReplies() throws {
        let server = try Endpoint(), alice = try Endpoint(), bob = try Endpoint()
        let relay = try RunningRelay(to: server.address)
        for number in 0..<20 {
            try alice.send(Array("alice \(number)".utf8), to: relay.address)
            try bob.send(Array("bob \(number)".utf8), to: relay.address)
        }
        // An echo server: every datagram goes back where it came from.
        var peers: Set<SocketAddress> = []
        for _ in 0..<40 {
            let request = try #require(try server.receive())
            peers.insert(request.from)
            try server.send(request.bytes, to: request.from)
        }
        #expect(peers.count == 2, "the server sees each client as a distinct peer")
        let aliceReplies = try alice.receiveAll().map { String(decoding: $0.bytes, as: UTF8.self) }
        let bobReplies = try bob.receiveAll().map { String(decoding: $0.bytes, as: UTF8.self) }
        #expect(aliceReplies == (0..<20).map { "alice \($0)" })
        #expect(bobReplies == (0..<20).map { "bob \($0)" })
        let stats = try relay.stop()
        #expect(stats.totalClients == 2 && stats.activeClients == 2)
        #expect(relay.log.filter { $0.hasPrefix("new client") }.count == 2)
    }

    @Test(.enabled(if: SocketAddress.isIPv6Available))
    func ipv6AndDualStackClientsAreRelayed() throws {
        let server = try Endpoint(.ipv6), client6 = try Endpoint(.ipv6), client4 = try Endpoint(.ipv4)
        // `[::]` listens on both families; an IPv4 client's replies leave through the IPv6 socket.
        let relay = try RunningRelay(to: server.address, listen: .wildcard(.ipv6, port: 0))
        let port = relay.address.port
        for (client, destination) in [(client6, SocketAddress.loopback(.ipv6, port: port)),
                                      (client4, SocketAddress.loopback(.ipv4, port: port))] {
            try client.send(Array("ping".utf8), to: destination)
            let request = try #require(try server.receive())
            #expect(request.from.family == .ipv6)
            try server.send(Array("pong".utf8), to: request.from)
            let reply = try #require(try client.receive())
            #expect(reply.bytes == Array("pong".utf8))
            #expect(reply.from == destination)
        }
        #expect(try relay.stop().totalClients == 2)
    }

    @Test func idleClientsExpireAndComeBackWithANewUpstreamSocket() throws {
        let server = try Endpoint(), client = try Endpoint()
        var configuration = UDPRelay.Configuration(listenAddress: .loopback(.ipv4, port: 0), serverAddress: server.address)
        configuration.clientIdleTimeout = 100_000_000
        let relay = try RunningRelay(configuration)
        try client.send([1], to: relay.address)
        let first = try #require(try server.receive())
        pause(0.4)
        try client.send([2], to: relay.address)
        let second = try #require(try server.receive())
        #expect(first.from != second.from, "a new upstream socket after expiry")
        let stats = try relay.stop()
        #expect(stats.totalClients == 2 && stats.activeClients == 1)
        #expect(relay.log.contains { $0.contains("expired") })
    }

    @Test func reportsComeEveryIntervalWithGrowingCounters() throws {
        let server = try Endpoint(), client = try Endpoint()
        var configuration = UDPRelay.Configuration(listenAddress: .loopback(.ipv4, port: 0), serverAddress: server.address)
        configuration.statisticsInterval = 50_000_000
        let relay = try RunningRelay(configuration)
        for number in 1...6 {
            try client.send(probe(number: UInt32(number)), to: relay.address)
            pause(0.06)
        }
        let final = try relay.stop()
        let reports = relay.reports
        #expect(reports.count >= 4 && reports.count <= 9, "\(reports.count) reports in ~0.36 s")
        #expect(reports.allSatisfy { !$0.isFinal })
        #expect(zip(reports, reports.dropFirst()).allSatisfy { $0.elapsed < $1.elapsed && $0.forward.received <= $1.forward.received })
        #expect(final.forward.received == 6)
    }

    @Test func impairedDatagramsAreAllAccountedFor() throws {
        let server = try Endpoint(), client = try Endpoint()
        var config = ImpairmentConfig()
        config.loss = 0.1
        config.duplicate = 0.1
        config.corrupt = 0.1
        config.delay = 2_000_000
        let relay = try RunningRelay(to: server.address, both: config, seed: 3)
        for number in 1...300 {
            try client.send(probe(number: UInt32(number), size: 200), to: relay.address)
            if number % 20 == 0 { usleep(2_000) }
        }
        let arrivals = try server.receiveAll()
        let stats = try relay.stop()
        #expect(arrivals.count == stats.forward.sent)
        #expect(stats.forward.impairment.droppedLoss > 0 && stats.forward.impairment.duplicated > 0)
        #expect(stats.forward.impairment.corrupted > 0)
        #expect(stats.forward.balances)
        #expect(stats.forward.impairment.heldNow == 0)
    }
}
