import Foundation
import Impairment
import SystemKit
import Synchronization
import Testing

@testable import ProxyKit

/// A `UDPRelay` running on a background thread for the length of a test.
final class RunningRelay: Sendable {
    let relay: UDPRelay
    private let stopSwitch: StopSwitch
    private let done = DispatchSemaphore(value: 0)
    private let outcome = Mutex<Result<RelayStatistics, SystemError>?>(nil)
    private let reportsSeen = Mutex<[RelayStatistics]>([])
    private let logLines = Mutex<[String]>([])

    init(_ configuration: UDPRelay.Configuration) throws {
        relay = try UDPRelay(configuration)
        stopSwitch = try StopSwitch()
        let thread = Thread { [self] in
            let result = Result { () throws(SystemError) -> RelayStatistics in
                try relay.run(stopWhenReadable: stopSwitch.fileDescriptor,
                              onReport: { report in self.reportsSeen.withLock { $0.append(report) } },
                              log: { line in self.logLines.withLock { $0.append(line) } })
            }
            outcome.withLock { $0 = result }
            done.signal()
        }
        thread.start()
    }

    /// A relay to `server` with the same impairments both ways.
    convenience init(to server: SocketAddress, both config: ImpairmentConfig = .none, seed: UInt64 = 1,
                     listen: SocketAddress = .loopback(.ipv4, port: 0)) throws {
        try self.init(UDPRelay.Configuration(listenAddress: listen, serverAddress: server,
                                             forward: config, reverse: config, seed: seed))
    }

    var address: SocketAddress { relay.localAddress }
    var reports: [RelayStatistics] { reportsSeen.withLock { $0 } }
    var log: [String] { logLines.withLock { $0 } }

    /// Stops the relay and returns its final statistics.
    func stop() throws -> RelayStatistics {
        stopSwitch.stop()
        guard done.wait(timeout: .now() + 10) == .success else {
            Issue.record("the relay did not stop within 10 s")
            return RelayStatistics()
        }
        return try outcome.withLock { $0! }.get()
    }
}

/// A UDP endpoint of a test: a socket bound to loopback with blocking-with-timeout receives.
struct Endpoint: Sendable {
    let socket: UDPSocket

    init(socket: UDPSocket) {
        self.socket = socket
    }

    init(_ family: SocketAddress.Family = .ipv4) throws {
        socket = try UDPSocket(bindingTo: .loopback(family, port: 0))
        socket.setBufferSizes(send: 1 << 20, receive: 1 << 20)
    }

    var address: SocketAddress { socket.localAddress }

    func send(_ bytes: [UInt8], to destination: SocketAddress) throws {
        let sent = try bytes.withUnsafeBytes { (buffer) throws(SystemError) in try socket.send(buffer, to: destination) }
        #expect(sent, "the test's socket buffer is full")
    }

    /// The next datagram, its sender and when it arrived (ns), or nil after `timeout` seconds.
    func receive(timeout: Double = 2) throws -> (bytes: [UInt8], from: SocketAddress, time: UInt64)? {
        let deadline = MonotonicClock.now() + UInt64(timeout * 1e9)
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let events = try Poller.wait(for: socket.fileDescriptor, interest: .readable, until: deadline)
            if events.isEmpty { return nil }
            let received = try buffer.withUnsafeMutableBytes { (raw) throws(SystemError) in try socket.receive(into: raw) }
            if let (count, from) = received {
                return (Array(buffer[..<count]), from, MonotonicClock.now())
            }
        }
    }

    /// Every datagram arriving until none has come for `quiet` seconds.
    func receiveAll(quiet: Double = 0.3) throws -> [(bytes: [UInt8], from: SocketAddress, time: UInt64)] {
        var all: [(bytes: [UInt8], from: SocketAddress, time: UInt64)] = []
        while let next = try receive(timeout: quiet) { all.append(next) }
        return all
    }
}

/// Receives on a background thread, stamping each datagram when it arrives, for measurements
/// that must not be skewed by the test thread being busy sending.
final class BackgroundReceiver: Sendable {
    private let arrivals = Mutex<[(bytes: [UInt8], time: UInt64)]>([])
    private let done = DispatchSemaphore(value: 0)

    /// Starts receiving on `endpoint`'s socket until nothing arrives for `quiet` seconds after
    /// the first datagram (or for `firstTimeout` seconds before it).
    init(_ endpoint: Endpoint, quiet: Double, firstTimeout: Double = 5) {
        let socket = endpoint.socket
        Thread { [self] in
            let receiver = Endpoint(socket: socket)
            var timeout = firstTimeout
            while let next = try? receiver.receive(timeout: timeout) {
                arrivals.withLock { $0.append((next.bytes, next.time)) }
                timeout = quiet
            }
            done.signal()
        }.start()
    }

    /// Waits for the receiving to end and returns what arrived, in order.
    func finish() -> [(bytes: [UInt8], time: UInt64)] {
        done.wait()
        return arrivals.withLock { $0 }
    }
}

/// A datagram carrying its sequence number and send time, padded to `size` bytes.
func probe(number: UInt32, size: Int = 64) -> [UInt8] {
    var bytes = [UInt8](repeating: 0xA5, count: max(size, 12))
    withUnsafeBytes(of: number.bigEndian) { bytes.replaceSubrange(0..<4, with: $0) }
    withUnsafeBytes(of: MonotonicClock.now().bigEndian) { bytes.replaceSubrange(4..<12, with: $0) }
    return bytes
}

/// The sequence number and send time of a `probe`.
func readProbe(_ bytes: [UInt8]) -> (number: UInt32, sentAt: UInt64) {
    let number = bytes[0..<4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
    let sentAt = bytes[4..<12].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
    return (number, sentAt)
}

/// Sleeps for `seconds` of wall time.
func pause(_ seconds: Double) {
    usleep(UInt32(seconds * 1e6))
}

extension RelayDirectionStatistics {
    /// Whether every datagram is accounted for: in + duplicated == out + dropped + held.
    var balances: Bool {
        received + impairment.duplicated == sent + dropped + impairment.heldNow
    }
}
