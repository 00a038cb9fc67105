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
        guard let attempt = try connectThroughFullQueue(deadlineMilliseconds: 5_000, stop: true) else { return }
        #expect(attempt.error == .interrupted)
        #expect(attempt.error?.systemError == nil)
        #expect(attempt.asked == 1)
        #expect(attempt.elapsed < 2_000_000_000)
    }

    @Test("an interrupt descriptor readable without a reason is asked once, then the deadline holds")
    func spuriousInterrupt() throws {
        guard let attempt = try connectThroughFullQueue(deadlineMilliseconds: 200, stop: false) else { return }
        #expect(attempt.error == .connect(SystemError(errno: ETIMEDOUT, call: "connect")), "\(String(describing: attempt.error))")
        #expect(attempt.asked == 1, "a descriptor that stays readable must not be polled again")
        #expect(attempt.elapsed >= 200_000_000 && attempt.elapsed < 2_000_000_000)
    }
}

/// How a connect into a full accept queue, watching an already readable interrupt pipe, ended.
private struct InterruptedConnectAttempt {
    /// Why it failed; nil only after `Issue.record`, when it connected.
    var error: TCPConnectError?
    /// How many times the interrupt check was asked.
    var asked: Int
    /// Monotonic nanoseconds from the call to its end.
    var elapsed: UInt64
}

/// Connects into a full accept queue with a readable interrupt pipe whose check answers `stop`;
/// nil, after recording an issue, if the queue never filled.
private func connectThroughFullQueue(deadlineMilliseconds: UInt64, stop: Bool) throws -> InterruptedConnectAttempt? {
    guard let (listener, connected) = try unansweringListener() else {
        Issue.record("every connect succeeded; the accept queue never filled")
        return nil
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
    var failure: TCPConnectError?
    do {
        _ = try TCPStream.connect(to: listener.localAddress, deadline: deadline(inMilliseconds: deadlineMilliseconds),
                                  interruptFileDescriptor: ends[0], isInterrupted: { asked += 1; return stop },
                                  blocking: false)
        Issue.record("connected through a full accept queue")
    } catch {
        failure = error
    }
    return InterruptedConnectAttempt(error: failure, asked: asked, elapsed: MonotonicClock.now() - start)
}
