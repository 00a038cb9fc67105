#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Testing
@testable import SystemKit

/// Whether this process may create TUN devices (root, with /dev/net/tun).
let canCreateTUNDevices: Bool = geteuid() == 0 && access("/dev/net/tun", R_OK | W_OK) == 0

/// Receives every datagram `slots` finds on `socket` within a short wait, with its source.
private func receiveAll(_ slots: ReceiveSlots, from socket: UDPSocket, expecting count: Int) throws -> [([UInt8], SocketAddress)] {
    var received: [([UInt8], SocketAddress)] = []
    let end = deadline(inMilliseconds: 2_000)
    while received.count < count {
        guard try Poller.wait(for: socket.fileDescriptor, interest: .readable, until: end).contains(.readable) else { break }
        try slots.receiveRuns(from: socket) { run, source in
            for datagram in run { received.append((Array(datagram), source)) }
        }
    }
    return received
}

@Suite("Batched datagrams, precise waits and TUN devices")
struct SystemBatchTests {
    @Test("ppoll takes a nanosecond timeout and a signal mask, and reports a readable socket")
    func precisePoll() throws {
        let socket = try UDPSocket(bindingTo: .loopback(.ipv4, port: 0))
        var entry = pollfd(fd: socket.fileDescriptor, events: PollEvents.readable.rawValue, revents: 0)
        var mask = sigset_t()
        sigemptyset(&mask)
        let start = MonotonicClock.now()
        #expect(try Posix.ppoll(&entry, count: 1, timeoutNanoseconds: 3_000_000, signalMask: &mask) == 0)
        #expect(MonotonicClock.now() - start >= 3_000_000)
        try sendDatagram([1], from: socket, to: socket.localAddress)
        #expect(try Posix.ppoll(&entry, count: 1, timeoutNanoseconds: nil) == 1)
        #expect(PollEvents(rawValue: entry.revents).contains(.readable))
    }

    @Test("a nanosecond poller keeps a deadline between whole milliseconds, never early")
    func nanosecondPoller() throws {
        let quiet = try UDPSocket(bindingTo: .loopback(.ipv4, port: 0))
        var precise = Poller(precision: .nanoseconds)
        precise.add(quiet.fileDescriptor, interest: .readable)
        var lateness: [UInt64] = []
        for _ in 0..<10 {
            let end = MonotonicClock.now() + 1_500_000
            #expect(try precise.wait(until: end) == 0)
            let finished = MonotonicClock.now()
            #expect(finished >= end, "woke \(end - finished) ns early")
            lateness.append(finished - end)
        }
        // `poll` would round 1.5 ms up to 2 and wake about 0.5 ms late every time.
        #expect(lateness.min()! < 400_000, "lateness \(lateness)")
    }

    @Test("one set of receive slots serves several sockets and splits coalesced runs")
    func receiveSlotsAcrossSockets() throws {
        let first = try UDPSocket(bindingTo: .loopback(.ipv4, port: 0))
        let second = try UDPSocket(bindingTo: .loopback(.ipv4, port: 0))
        ReceiveSlots.allowCoalescing(on: first)
        let client = try UDPSocket(connectedTo: first.localAddress)
        let sender = SegmentingSender(socket: client)
        for number in 0..<21 {
            let length = number == 20 ? 300 : 1_000
            let space = try sender.reserve(capacity: length)
            for index in 0..<length { space[index] = UInt8(truncatingIfNeeded: number) }
            try sender.commit(length: length)
        }
        try sender.flush()
        let other = try UDPSocket(bindingTo: .loopback(.ipv4, port: 0))
        for number in 0..<3 { try sendDatagram([UInt8(number), 9], from: other, to: second.localAddress) }

        let slots = ReceiveSlots()
        let runOfFirst = try receiveAll(slots, from: first, expecting: 21)
        #expect(runOfFirst.map(\.0.count) == Array(repeating: 1_000, count: 20) + [300])
        #expect(runOfFirst.map { $0.0[0] } == (0..<21).map { UInt8($0) })
        #expect(runOfFirst.allSatisfy { $0.1 == client.localAddress })
        let ofSecond = try receiveAll(slots, from: second, expecting: 3)
        #expect(ofSecond.map(\.0) == [[0, 9], [1, 9], [2, 9]])
        #expect(ofSecond.allSatisfy { $0.1 == other.localAddress })
        #expect(try slots.receiveRuns(from: first) { _, _ in } == 0, "nothing is left")
    }

    @Test("a send batch keeps each datagram's size and destination across sockets and peers")
    func sendBatchToSeveralDestinations() throws {
        let peerA = try UDPSocket(bindingTo: .loopback(.ipv4, port: 0))
        let peerB = try UDPSocket(bindingTo: .loopback(.ipv4, port: 0))
        let peerC = try UDPSocket(bindingTo: .loopback(.ipv4, port: 0))
        let shared = try UDPSocket(bindingTo: .wildcard(hasIPv6Loopback ? .ipv6 : .ipv4, port: 0))
        let connected = try UDPSocket(connectedTo: peerC.localAddress)
        let toA = RawSocketAddress(peerA.localAddress, forSocketFamily: shared.family)
        let toB = RawSocketAddress(peerB.localAddress, forSocketFamily: shared.family)
        let plan: [(size: Int, flow: Int)] = [(800, 0), (800, 0), (800, 0), (500, 0), (800, 1), (900, 1), (40, 2), (800, 0)]
        let batch = SendBatch()
        var outcome = SendBatch.Outcome()
        for (index, step) in plan.enumerated() {
            let datagram = [UInt8](repeating: UInt8(index), count: step.size)
            datagram.withUnsafeBytes { bytes in
                switch step.flow {
                case 0: batch.append(bytes, socket: shared, destination: toA, flow: 0, outcome: &outcome)
                case 1: batch.append(bytes, socket: shared, destination: toB, flow: 1, outcome: &outcome)
                default: batch.append(bytes, socket: connected, destination: nil, flow: 2, outcome: &outcome)
                }
            }
        }
        batch.flush(into: &outcome)
        #expect(outcome.sent == plan.count && outcome.failed == 0 && outcome.firstError == nil)
        let slots = ReceiveSlots()
        for (peer, flow) in [(peerA, 0), (peerB, 1), (peerC, 2)] {
            let expected = plan.enumerated().filter { $0.element.flow == flow }
            let received = try receiveAll(slots, from: peer, expecting: expected.count)
            #expect(received.map(\.0) == expected.map { [UInt8](repeating: UInt8($0.offset), count: $0.element.size) })
        }
    }

    @Test("a raw address is in the form the socket's family takes")
    func rawSocketAddress() {
        let address = SocketAddress(ipv4: (127, 0, 0, 1), port: 4000)
        RawSocketAddress(address, forSocketFamily: .ipv4).withSockAddr { pointer, length in
            #expect(Int(length) == MemoryLayout<sockaddr_in>.size)
            #expect(Int32(pointer.pointee.sa_family) == AF_INET)
            #expect(SocketAddress(rawSockAddr: pointer, length: length) == address)
        }
        RawSocketAddress(address, forSocketFamily: .ipv6).withSockAddr { pointer, length in
            #expect(Int(length) == MemoryLayout<sockaddr_in6>.size)
            #expect(Int32(pointer.pointee.sa_family) == AF_INET6)
            #expect(SocketAddress(rawSockAddr: pointer, length: length) == address, "::ffff:127.0.0.1 is the same peer")
        }
    }

    @Test("a TUN device is created once per name, reads nothing until routed to, and goes with its descriptor",
          .enabled(if: canCreateTUNDevices, "needs root and /dev/net/tun"))
    func tunDevice() throws {
        let name = "sktest\(getpid() % 100_000)"
        let device = try TUNDevice(creating: name)
        #expect(device.name == name)
        #expect(try Posix.isNonBlocking(device.fileDescriptor))
        var buffer = [UInt8](repeating: 0, count: 2048)
        #expect(try buffer.withUnsafeMutableBytes { try Posix.read(device.fileDescriptor, $0) } == nil)
        #expect(throws: SystemError(errno: EBUSY, call: "TUNSETIFF \(name)")) { try TUNDevice(creating: name) }
        device.close()
        device.close()
        let again = try TUNDevice(creating: name)
        again.close()
    }
}
