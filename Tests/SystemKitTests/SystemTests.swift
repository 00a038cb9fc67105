#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Testing
@testable import SystemKit

/// Whether `[::1]` can be bound here; IPv6 tests are skipped, visibly, when it cannot.
let hasIPv6Loopback: Bool = (try? UDPSocket(bindingTo: .loopback(.ipv6, port: 0))) != nil

/// A monotonic deadline `milliseconds` from now.
func deadline(inMilliseconds milliseconds: UInt64) -> UInt64 {
    MonotonicClock.now() + milliseconds * 1_000_000
}

/// Waits (bounded) for one datagram on `socket` and returns its bytes and sender.
func receiveDatagram(on socket: UDPSocket, within milliseconds: UInt64 = 2_000) throws -> ([UInt8], SocketAddress)? {
    var poller = Poller()
    poller.add(socket.fileDescriptor, interest: .readable)
    let end = deadline(inMilliseconds: milliseconds)
    var buffer = [UInt8](repeating: 0, count: 2048)
    while try poller.wait(until: end) > 0 {
        let received = try buffer.withUnsafeMutableBytes { try socket.receive(into: $0) }
        if let (count, from) = received { return (Array(buffer[..<count]), from) }
    }
    return nil
}

/// Sends `bytes` and requires that the socket accepted them.
func sendDatagram(_ bytes: [UInt8], from socket: UDPSocket, to destination: SocketAddress) throws {
    let sent = try bytes.withUnsafeBytes { try socket.send($0, to: destination) }
    #expect(sent, "send buffer full on an idle socket")
}

@Suite("System error, poll, clocks and randomness")
struct SystemTests {
    @Test("a system error is one line naming the call, the cause and errno")
    func errorDescription() {
        let error = SystemError(errno: ECONNREFUSED, call: "sendto")
        #expect(error.description == "sendto: Connection refused (errno \(ECONNREFUSED))")
        #expect(error.isConnectionRefused)
        #expect(!error.isTimedOut)
        #expect(SystemError(errno: EADDRINUSE, call: "bind").isAddressInUse)
        #expect(SystemError(errno: EPIPE, call: "send").isConnectionReset)
    }

    @Test("a failing call throws its own name and errno")
    func failingCall() {
        #expect(throws: SystemError(errno: EBADF, call: "close")) { try Posix.close(-1) }
        var byte: UInt8 = 0
        #expect(throws: SystemError(errno: EBADF, call: "read")) {
            try withUnsafeMutableBytes(of: &byte) { try Posix.read(-1, $0) }
        }
    }

    @Test("O_NONBLOCK can be switched both ways")
    func nonBlockingFlag() throws {
        let socket = try UDPSocket(bindingTo: .loopback(.ipv4, port: 0))
        #expect(try Posix.isNonBlocking(socket.fileDescriptor))
        try Posix.setNonBlocking(socket.fileDescriptor, false)
        #expect(try !Posix.isNonBlocking(socket.fileDescriptor))
        try Posix.setNonBlocking(socket.fileDescriptor, true)
        #expect(try Posix.isNonBlocking(socket.fileDescriptor))
        #expect(try Posix.fcntl(socket.fileDescriptor, F_GETFD) & FD_CLOEXEC != 0)
    }

    @Test("poll timeouts round up to whole milliseconds and never go negative")
    func timeoutRounding() {
        let now: UInt64 = 5_000_000_000
        #expect(Poller.timeoutMilliseconds(until: nil, now: now) == -1)
        #expect(Poller.timeoutMilliseconds(until: now - 1, now: now) == 0)
        #expect(Poller.timeoutMilliseconds(until: now, now: now) == 0)
        #expect(Poller.timeoutMilliseconds(until: now + 1, now: now) == 1)
        #expect(Poller.timeoutMilliseconds(until: now + 1_000_000, now: now) == 1)
        #expect(Poller.timeoutMilliseconds(until: now + 1_000_001, now: now) == 2)
        #expect(Poller.timeoutMilliseconds(until: now + 250_000_000, now: now) == 250)
        #expect(Poller.timeoutMilliseconds(until: UInt64.max, now: now) == Int32.max)
    }

    @Test("poll wakes when a datagram arrives and reports only that descriptor")
    func pollWakesOnReadable() throws {
        let quiet = try UDPSocket(bindingTo: .loopback(.ipv4, port: 0))
        let receiver = try UDPSocket(bindingTo: .loopback(.ipv4, port: 0))
        let sender = try UDPSocket(bindingTo: .loopback(.ipv4, port: 0))
        var poller = Poller()
        let quietIndex = poller.add(quiet.fileDescriptor, interest: .readable)
        let receiverIndex = poller.add(receiver.fileDescriptor, interest: .readable)
        try sendDatagram([1, 2, 3], from: sender, to: receiver.localAddress)

        let start = MonotonicClock.now()
        let ready = try poller.wait(until: start + 5_000_000_000)
        #expect(ready == 1)
        #expect(MonotonicClock.now() - start < 2_000_000_000)
        #expect(poller.events(at: receiverIndex).contains(.readable))
        #expect(poller.events(at: quietIndex).isEmpty)
        #expect(poller.fileDescriptor(at: receiverIndex) == receiver.fileDescriptor)

        poller.setInterest(.writable, at: quietIndex)
        #expect(try poller.wait(until: nil) == 2)
        #expect(poller.events(at: quietIndex).contains(.writable))
    }

    @Test("poll sleeps until the deadline, not before, when nothing happens")
    func pollTimesOutAtDeadline() throws {
        let quiet = try UDPSocket(bindingTo: .loopback(.ipv4, port: 0))
        var poller = Poller()
        poller.add(quiet.fileDescriptor, interest: .readable)
        for _ in 0..<3 {
            let start = MonotonicClock.now()
            let end = start + 30_000_000
            #expect(try poller.wait(until: end) == 0)
            let finished = MonotonicClock.now()
            #expect(finished >= end, "woke \(end - finished) ns early")
            #expect(finished - start < 1_000_000_000)
        }
    }

    @Test("poll with nothing registered is a sleep; a past deadline returns at once")
    func pollEdgeCases() throws {
        var poller = Poller()
        let start = MonotonicClock.now()
        #expect(try poller.wait(until: start + 20_000_000) == 0)
        #expect(MonotonicClock.now() >= start + 20_000_000)

        let quiet = try UDPSocket(bindingTo: .loopback(.ipv4, port: 0))
        poller.add(quiet.fileDescriptor, interest: .readable)
        let before = MonotonicClock.now()
        #expect(try poller.wait(until: before - 1) == 0)
        #expect(MonotonicClock.now() - before < 500_000_000)

        poller.removeAll()
        #expect(poller.count == 0)
    }

    @Test("waiting on one descriptor reports its events, or none at the deadline")
    func singleDescriptorWait() throws {
        let receiver = try UDPSocket(bindingTo: .loopback(.ipv4, port: 0))
        let start = MonotonicClock.now()
        #expect(try Poller.wait(for: receiver.fileDescriptor, interest: .readable, until: start + 20_000_000).isEmpty)
        #expect(MonotonicClock.now() >= start + 20_000_000)

        let sender = try UDPSocket(bindingTo: .loopback(.ipv4, port: 0))
        try sendDatagram([1], from: sender, to: receiver.localAddress)
        let events = try Poller.wait(for: receiver.fileDescriptor, interest: .readable, until: deadline(inMilliseconds: 2_000))
        #expect(events == .readable)
        // A descriptor number far above any open one is reported, not waited on.
        #expect(try Poller.wait(for: 999_999, interest: .readable, until: deadline(inMilliseconds: 2_000)).contains(.invalid))
    }

    @Test("the monotonic clock does not go back and tracks real time")
    func monotonicClock() throws {
        var previous = MonotonicClock.now()
        for _ in 0..<1000 {
            let now = MonotonicClock.now()
            #expect(now >= previous)
            previous = now
        }
        var poller = Poller()
        let start = MonotonicClock.now()
        _ = try poller.wait(until: start + 10_000_000)
        let elapsed = MonotonicClock.now() - start
        #expect(elapsed >= 10_000_000 && elapsed < 1_000_000_000)
    }

    @Test("wall-clock timestamps are ISO 8601 UTC with milliseconds")
    func wallClock() {
        #expect(WallClock.iso8601(nanosecondsSinceEpoch: 0) == "1970-01-01T00:00:00.000Z")
        #expect(WallClock.iso8601(nanosecondsSinceEpoch: 1_700_000_000_123_456_789) == "2023-11-14T22:13:20.123Z")
        let now = WallClock.iso8601()
        #expect(now.count == 24)
        #expect(now.hasSuffix("Z"))
        #expect(WallClock.nanosecondsSinceEpoch() > 1_700_000_000_000_000_000)
    }

    @Test("system randomness does not repeat and fills odd lengths")
    func randomness() {
        let words = (0..<64).map { _ in SystemRandom.uint64() }
        #expect(Set(words).count == 64)
        let halves = (0..<64).map { _ in SystemRandom.uint32() }
        #expect(Set(halves).count > 60)
        var bytes = [UInt8](repeating: 0, count: 37)
        bytes.withUnsafeMutableBytes { SystemRandom.fill($0) }
        #expect(bytes.suffix(5).contains { $0 != 0 }, "the tail past the last whole word was not filled")
        #expect(Set(bytes).count > 10)
    }
}
