#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CLIKit
import Dispatch
import Foundation
import Synchronization
import SystemKit

/// `lossproxy --tcp-passthrough`: TCP connections to the relay's own port are forwarded to the
/// server's port unimpaired, one thread per connection, so that tools with a TCP control
/// channel beside their UDP (iperf3) run through the relay. Impairing TCP is the TUN link's job.
final class TCPPassthrough: Sendable {
    /// What the passthrough did since the relay started.
    struct Statistics: Sendable, Equatable {
        /// Connections accepted and forwarded (or tried).
        var connections = 0
        /// Connections open now.
        var active = 0
        /// Connections closed at once because `maxConnections` were open.
        var refused = 0
        /// Connections whose server side could not be opened.
        var failed = 0
        /// Bytes from clients to the server.
        var bytesToServer = 0
        /// Bytes from the server to clients.
        var bytesToClients = 0

        /// `{"connections":…,"active":…,"refused":…,"failed":…,"bytes_to_server":…,"bytes_to_clients":…}`.
        var json: JSONValue {
            .object([
                ("connections", .integer(connections)), ("active", .integer(active)), ("refused", .integer(refused)),
                ("failed", .integer(failed)), ("bytes_to_server", .integer(bytesToServer)),
                ("bytes_to_clients", .integer(bytesToClients)),
            ])
        }

        /// `tcp: 2 connections (0 open), 0 refused, 0 failed, 1.2 kB to the server, 3.4 kB to clients`.
        var humanLine: String {
            "tcp: \(connections) connections (\(active) open), \(refused) refused, \(failed) failed, "
                + "\(HumanFormat.bytes(UInt64(bytesToServer))) to the server, \(HumanFormat.bytes(UInt64(bytesToClients))) to clients"
        }
    }

    private struct State {
        var statistics = Statistics()
        /// Descriptors of open connections, shut down on `stop` to end blocked reads and writes.
        var openDescriptors: Set<Int32> = []
        /// Lines for the relay's log, taken by `takeLog` on the relay's thread.
        var log: [String] = []
    }

    /// How long connecting to the server may take.
    static let connectTimeout: Duration = .seconds(5)

    private let listener: TCPListener
    private let server: SocketAddress
    private let maxConnections: Int
    private let stopSwitch: StopSwitch
    private let state = Mutex(State())
    private let running = DispatchGroup()

    /// Listens for TCP on `address` (the relay's UDP address, port included).
    init(listeningOn address: SocketAddress, server: SocketAddress, maxConnections: Int) throws(SystemError) {
        listener = try TCPListener(bindingTo: address)
        self.server = server
        self.maxConnections = maxConnections
        stopSwitch = try StopSwitch()
    }

    /// The counters so far.
    var statistics: Statistics { state.withLock { $0.statistics } }

    /// Lines to log since the last call (connection failures).
    func takeLog() -> [String] {
        state.withLock { state in
            defer { state.log.removeAll() }
            return state.log
        }
    }

    /// Starts accepting connections on a thread of its own.
    func start() {
        running.enter()
        Thread.detachNewThread { [self] in
            acceptConnections()
            running.leave()
        }
    }

    /// Stops accepting, ends every connection, and waits (at most 2 s) for their threads.
    func stop() {
        stopSwitch.stop()
        state.withLock { state in
            for fd in state.openDescriptors { try? Posix.shutdown(fd, how: Int32(SHUT_RDWR)) }
        }
        _ = running.wait(timeout: .now() + 2)
        listener.close()
    }

    private func note(_ line: String) {
        state.withLock { $0.log.append(line) }
    }

    private func acceptConnections() {
        while true {
            var poller = Poller(capacity: 2)
            let stopEntry = poller.add(stopSwitch.fileDescriptor, interest: .readable)
            poller.add(listener.fileDescriptor, interest: .readable)
            guard (try? poller.wait(until: nil)) != nil, poller.events(at: stopEntry).isEmpty else { return }
            let connection: TCPStream?
            do {
                connection = try listener.accept(blocking: true)
            } catch {
                note("tcp passthrough: accepting a connection failed: \(error)")
                usleep(100_000)  // out of descriptors, say: do not spin
                continue
            }
            guard let connection else { continue }
            let admitted = state.withLock { state -> Bool in
                guard state.statistics.active < maxConnections else {
                    state.statistics.refused += 1
                    return false
                }
                state.statistics.active += 1
                state.statistics.connections += 1
                return true
            }
            guard admitted else {
                note("tcp passthrough: refused a connection from \(connection.peerAddress): \(maxConnections) already open")
                connection.close()
                continue
            }
            running.enter()
            Thread.detachNewThread { [self] in
                forward(connection)
                state.withLock { $0.statistics.active -= 1 }
                running.leave()
            }
        }
    }

    /// Copies bytes both ways until both sides have finished (each end of stream is passed
    /// on as a half close), or either fails, or the relay stops.
    private func forward(_ client: TCPStream) {
        defer { client.close() }
        let upstream: TCPStream
        do {
            upstream = try TCPStream.connect(to: server, timeout: Self.connectTimeout)
        } catch {
            state.withLock { $0.statistics.failed += 1 }
            note("tcp passthrough: cannot connect to \(server) for \(client.peerAddress): \(error)")
            return
        }
        defer { upstream.close() }
        let descriptors: Set = [client.fileDescriptor, upstream.fileDescriptor]
        state.withLock { $0.openDescriptors.formUnion(descriptors) }
        defer { state.withLock { $0.openDescriptors.subtract(descriptors) } }
        _ = try? client.setNoDelay(true)
        _ = try? upstream.setNoDelay(true)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 << 10, alignment: 16)
        defer { buffer.deallocate() }
        // Each side that still sends: the stream read from, the one written to, and the counter.
        var open: [(from: TCPStream, to: TCPStream, toServer: Bool)] = [(client, upstream, true), (upstream, client, false)]
        while !open.isEmpty {
            var poller = Poller(capacity: 3)
            let stopEntry = poller.add(stopSwitch.fileDescriptor, interest: .readable)
            for side in open { poller.add(side.from.fileDescriptor, interest: .readable) }
            guard (try? poller.wait(until: nil)) != nil, poller.events(at: stopEntry).isEmpty else { return }
            var finished: [Int] = []
            for (index, side) in open.enumerated() where !poller.events(at: stopEntry + 1 + index).isEmpty {
                do {
                    guard let count = try side.from.read(into: buffer) else { continue }
                    if count == 0 {
                        try side.to.shutdownWrite()
                        finished.append(index)
                        continue
                    }
                    try side.to.writeAll(UnsafeRawBufferPointer(rebasing: buffer[..<count]))
                    state.withLock { state in
                        if side.toServer { state.statistics.bytesToServer += count } else { state.statistics.bytesToClients += count }
                    }
                } catch {
                    return  // a reset or a failed write: closing both ends passes it on
                }
            }
            for index in finished.reversed() { open.remove(at: index) }
        }
    }
}
