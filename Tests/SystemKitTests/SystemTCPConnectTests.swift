#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Testing
@testable import SystemKit

/// A listener whose accept queue is full, so that a further connect gets no answer; nil if
/// this kernel answered every one of eight connects.
private func unansweringListener() throws -> (TCPListener, [TCPStream])? {
    let listener = try TCPListener(bindingTo: .loopback(.ipv4, port: 0), backlog: 0)
    var connected: [TCPStream] = []
    for _ in 0..<8 {
        do {
            connected.append(try TCPStream.connect(to: listener.localAddress, timeout: .milliseconds(150)))
        } catch {
            return error.isTimedOut ? (listener, connected) : nil
        }
    }
    return nil
}

@Suite("Bounded, interruptible TCP connect")
struct SystemTCPConnectTests {
    @Test("a refused connect fails in its connect step")
    func refused() throws {
        let closedPort: UInt16 = try {
            let probe = try TCPListener(bindingTo: .loopback(.ipv4, port: 0))
            defer { probe.close() }
            return probe.localAddress.port
        }()
        do {
            _ = try TCPStream.connect(to: .loopback(.ipv4, port: closedPort), deadline: deadline(inMilliseconds: 5_000), blocking: false)
            Issue.record("connected to a closed port")
        } catch {
            #expect(error == .connect(SystemError(errno: ECONNREFUSED, call: "connect")), "\(error)")
            #expect(error.systemError?.isConnectionRefused == true)
        }
    }

    @Test("a connect that succeeds gives a stream in the mode asked for")
    func connects() throws {
        let listener = try TCPListener(bindingTo: .loopback(.ipv4, port: 0))
        let client = try TCPStream.connect(to: listener.localAddress, deadline: deadline(inMilliseconds: 2_000), blocking: false)
        #expect(!client.isBlocking)
        #expect(try Posix.isNonBlocking(client.fileDescriptor))
        #expect(client.peerAddress == listener.localAddress)
        #expect(try acceptConnection(on: listener) != nil)
    }

    @Test("a readable interrupt descriptor whose check says stop ends the wait at once")
    func interrupted() throws {
        guard let (listener, connected) = try unansweringListener() else {
            Issue.record("every connect succeeded; the accept queue never filled")
            return
        }
        defer { _ = (listener, connected) }
        var ends: [Int32] = [0, 0]
        #expect(pipe(&ends) == 0)
        defer {
            try? Posix.close(ends[0])
            try? Posix.close(ends[1])
        }
        #expect(write(ends[1], "x", 1) == 1)
        var asked = 0
        let start = MonotonicClock.now()
        do {
            _ = try TCPStream.connect(to: listener.localAddress, deadline: deadline(inMilliseconds: 5_000),
                                      interruptFileDescriptor: ends[0], isInterrupted: { asked += 1; return true },
                                      blocking: false)
            Issue.record("connected through a full accept queue")
        } catch {
            #expect(error == .interrupted)
            #expect(error.systemError == nil)
        }
        #expect(asked == 1)
        #expect(MonotonicClock.now() - start < 2_000_000_000)
    }

    @Test("an interrupt descriptor readable without a reason is asked once, then the deadline holds")
    func spuriousInterrupt() throws {
        guard let (listener, connected) = try unansweringListener() else {
            Issue.record("every connect succeeded; the accept queue never filled")
            return
        }
        defer { _ = (listener, connected) }
        var ends: [Int32] = [0, 0]
        #expect(pipe(&ends) == 0)
        defer {
            try? Posix.close(ends[0])
            try? Posix.close(ends[1])
        }
        #expect(write(ends[1], "x", 1) == 1)
        var asked = 0
        let start = MonotonicClock.now()
        do {
            _ = try TCPStream.connect(to: listener.localAddress, deadline: deadline(inMilliseconds: 200),
                                      interruptFileDescriptor: ends[0], isInterrupted: { asked += 1; return false },
                                      blocking: false)
            Issue.record("connected through a full accept queue")
        } catch {
            #expect(error == .connect(SystemError(errno: ETIMEDOUT, call: "connect")), "\(error)")
        }
        #expect(asked == 1, "a descriptor that stays readable must not be polled again")
        let elapsed = MonotonicClock.now() - start
        #expect(elapsed >= 200_000_000 && elapsed < 2_000_000_000)
    }
}
