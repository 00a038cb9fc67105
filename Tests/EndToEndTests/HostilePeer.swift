import Foundation
import RUDP
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A raw UDP socket on 127.0.0.1 playing a misbehaving peer: it sends whatever bytes a test
/// makes and counts the bytes that come back, to check the receiver's anti-amplification rule.
final class HostilePeer {
    let descriptor: Int32
    let port: UInt16
    private(set) var bytesSent = 0
    private(set) var bytesReceived = 0
    private(set) var datagramsSent = 0
    /// Every datagram received, in order.
    private(set) var replies: [[UInt8]] = []
    /// The source port of each of `replies` (a fake receiver answers the sender's port).
    private(set) var replyPorts: [UInt16] = []

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw HostilePeerError("socket: errno \(errno)") }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        var address = Self.loopback(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard bound == 0 && named == 0 else {
            close(fd)
            throw HostilePeerError("bind: errno \(errno)")
        }
        descriptor = fd
        port = UInt16(bigEndian: address.sin_port)
    }

    deinit { close(descriptor) }

    static func loopback(port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }

    /// Sends one datagram to 127.0.0.1:`port` (a full socket buffer just drops it, as a network would).
    func send(_ bytes: [UInt8], to port: Int) {
        var address = Self.loopback(port: UInt16(port))
        let sent = bytes.withUnsafeBytes { buffer in
            withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(descriptor, buffer.baseAddress, buffer.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
        if sent >= 0 {
            bytesSent += bytes.count
            datagramsSent += 1
        }
    }

    /// Reads every datagram that arrives within `seconds` (stopping early once `until` holds).
    func collect(for seconds: Double, until: (HostilePeer) -> Bool = { _ in false }) {
        let deadline = Date().addingTimeInterval(seconds)
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while Date() < deadline && !until(self) {
            var descriptorSet = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            _ = poll(&descriptorSet, 1, 10)
            while true {
                var source = sockaddr_in()
                var length = socklen_t(MemoryLayout<sockaddr_in>.size)
                let count = buffer.withUnsafeMutableBytes { bytes in
                    withUnsafeMutablePointer(to: &source) {
                        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                            recvfrom(descriptor, bytes.baseAddress, bytes.count, 0, $0, &length)
                        }
                    }
                }
                guard count >= 0 else { break }  // EAGAIN: drained (ECONNREFUSED is consumed the same way)
                bytesReceived += count
                replies.append(Array(buffer[0..<count]))
                replyPorts.append(UInt16(bigEndian: source.sin_port))
            }
        }
    }

    /// The decoded replies (undecodable ones are skipped; a test may count them separately).
    var decodedReplies: [(header: PacketHeader, payload: [UInt8])] {
        replies.compactMap { bytes in
            bytes.withUnsafeBytes { raw in
                (try? PacketView.decode(raw)).map { ($0.header, Array($0.payload)) }
            }
        }
    }
}

struct HostilePeerError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Well-formed packets as a sender would make them, for hostile tests.
enum ForgedPacket {
    static func syn(connectionID: UInt32, isn: UInt32 = UInt32.max - 5, name: String, mss: Int = 1200,
                    window: UInt32 = 64, size: UInt64? = 1_000) -> [UInt8] {
        let payload = SynPayload(mode: .selectiveRepeat, mss: mss, window: window, fileSize: size, name: Array(name.utf8))
        return packet(PacketHeader(type: .syn, connectionID: connectionID, sequence: SequenceNumber(isn), timestamp: 1),
                      payload: payload.encoded())
    }

    static func data(connectionID: UInt32, sequence: UInt32, echo: UInt32, payload: [UInt8]) -> [UInt8] {
        packet(PacketHeader(type: .data, connectionID: connectionID, sequence: SequenceNumber(sequence), timestamp: 1,
                            timestampEcho: echo), payload: payload)
    }

    static func packet(_ header: PacketHeader, payload: [UInt8] = []) -> [UInt8] {
        (try? PacketEncoder.encode(header, payload: payload)) ?? []
    }
}

/// Resident memory of a process in bytes (Linux /proc), or nil where unavailable.
func residentBytes(of process: Process) -> Int? {
    guard let status = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
          let kilobytes = Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
    else { return nil }
    return kilobytes * 1_024
}

/// A program run on a thread of its own, so a test can attack the receiver meanwhile.
final class BackgroundRun: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var result: ProgramRunner.Result?

    convenience init(_ program: String, _ arguments: [String], timeout: Double = 60, stdin: Data? = nil) {
        self.init(executable: ProgramRunner.url(of: program), arguments, timeout: timeout, stdin: stdin)
    }

    /// `script` run by `/bin/sh -c`, `$1`… being `arguments` (see `ProgramRunner.runShell`).
    convenience init(shell script: String, _ arguments: [String], timeout: Double = 60) {
        self.init(executable: URL(fileURLWithPath: "/bin/sh"), ["-c", script, "sh"] + arguments, timeout: timeout)
    }

    init(executable: URL, _ arguments: [String], timeout: Double = 60, stdin: Data? = nil) {
        // A plain thread, not Dispatch's pool: Foundation's Process needs that pool to notice exits.
        Thread { [self] in
            result = try? ProgramRunner.run(executable: executable, arguments, timeout: timeout, stdin: stdin)
            done.signal()
        }.start()
    }

    /// The finished run, or nil if it did not end within `timeout` seconds.
    func wait(timeout: Double = 90) -> ProgramRunner.Result? {
        guard done.wait(timeout: .now() + timeout) == .success else { return nil }
        return result
    }
}

/// A UDP relay between a sender and a receiver on loopback that records what the sender sent,
/// so a test can replay an earlier connection's packets from the same source address, and
/// drops what a test's filters say (they run on the relay's thread, one datagram at a time).
final class RecordingRelay: @unchecked Sendable {
    /// The sender connects here.
    let front: HostilePeer
    /// The receiver sees the relay as this socket's address.
    let back: HostilePeer
    private let receiverPort: Int
    private let stopped = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var stopRequested = false
    private var recordedDatagrams: [[UInt8]] = []
    private let dropToReceiver: ([UInt8]) -> Bool
    private let dropToSender: ([UInt8]) -> Bool

    init(toReceiverPort port: Int, dropToReceiver: @escaping ([UInt8]) -> Bool = { _ in false },
         dropToSender: @escaping ([UInt8]) -> Bool = { _ in false }) throws {
        front = try HostilePeer()
        back = try HostilePeer()
        receiverPort = port
        self.dropToReceiver = dropToReceiver
        self.dropToSender = dropToSender
        Thread { [self] in relay() }.start()
    }

    var address: String { "127.0.0.1:\(front.port)" }

    /// Everything the sender sent, in order.
    var recorded: [[UInt8]] { lock.withLock { recordedDatagrams } }

    func stop() {
        lock.withLock { stopRequested = true }
        stopped.wait()
    }

    private func relay() {
        var senderAddress = sockaddr_in()
        var knowsSender = false
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while !lock.withLock({ stopRequested }) {
            var descriptors = [pollfd(fd: front.descriptor, events: Int16(POLLIN), revents: 0),
                               pollfd(fd: back.descriptor, events: Int16(POLLIN), revents: 0)]
            _ = poll(&descriptors, 2, 20)
            while true {  // sender → receiver, recorded
                var length = socklen_t(MemoryLayout<sockaddr_in>.size)
                let count = buffer.withUnsafeMutableBytes { raw in
                    withUnsafeMutablePointer(to: &senderAddress) {
                        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                            recvfrom(front.descriptor, raw.baseAddress, raw.count, 0, $0, &length)
                        }
                    }
                }
                guard count >= 0 else { break }
                knowsSender = true
                let datagram = Array(buffer[0..<count])
                lock.withLock { recordedDatagrams.append(datagram) }
                if !dropToReceiver(datagram) { back.send(datagram, to: receiverPort) }
            }
            while true {  // receiver → sender
                let count = buffer.withUnsafeMutableBytes { recv(back.descriptor, $0.baseAddress, $0.count, 0) }
                guard count >= 0 else { break }
                guard knowsSender, !dropToSender(Array(buffer[0..<count])) else { continue }
                _ = buffer.withUnsafeBytes { raw in
                    withUnsafePointer(to: &senderAddress) {
                        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                            sendto(front.descriptor, raw.baseAddress, count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                        }
                    }
                }
            }
        }
        stopped.signal()
    }
}
