#if canImport(Glibc)
import Glibc
#endif
import Foundation
import SystemKit
import Testing

/// tshark reading a capture through `tools/wireshark/rudp.lua`, one `DissectedFrame` per frame.
enum Dissector {
    /// The dissector in this checkout (this file is Tests/EndToEndTests/…).
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("tools/wireshark/rudp.lua").path

    /// The fields asked of tshark, in the order `DissectedFrame` reads them; several RUDP packets
    /// in one frame (a GSO super-frame) give comma-separated lists.
    static let fields = ["frame.number", "frame.interface_id", "udp.srcport", "udp.dstport", "rudp.type", "rudp.seq",
                         "rudp.ack", "rudp.window", "rudp.sack_count", "rudp.len", "rudp.crc.status", "rudp.index", "rudp.ack_index",
                         "frame.comment",
                         "_ws.col.Info"]

    /// Every frame of `capture` (those matching the display `filter`, if given).
    static func frames(of capture: URL, filter: String? = nil) throws -> [DissectedFrame] {
        let lines = try tshark(["-r", capture.path, "-T", "fields", "-E", "separator=/t"] + fields.flatMap { ["-e", $0] }
                                   + (filter.map { ["-Y", $0] } ?? []))
        return lines.map(DissectedFrame.init(line:))
    }

    /// Runs tshark with the dissector loaded and returns its stdout lines. A ChildProcess, not
    /// Foundation's Process, whose child monitor can hang on third-party programs.
    static func tshark(_ arguments: [String], timeout: Double = 60) throws -> [String] {
        let child = try ChildProcess(path: tsharkPath!, arguments: ["-X", "lua_script:\(script)"] + arguments)
        let status = child.waitForExit(timeout: timeout)
        let errors = child.stderrLines.filter { !$0.contains("Running as user") }
        guard status == 0, errors.isEmpty else { throw TsharkFailed(status: status, stderr: errors.joined(separator: "\n")) }
        return child.stdoutLines
    }
}

struct TsharkFailed: Error, CustomStringConvertible {
    let status: Int32?
    let stderr: String
    var description: String { "tshark exited \(status.map(String.init) ?? "by timeout"): \(stderr)" }
}

/// One frame as tshark and the dissector read it.
struct DissectedFrame {
    /// One RUDP packet of the frame.
    struct Packet: Equatable {
        var type: Int
        var sequence: UInt32
        var acknowledgement: UInt32
        var window: UInt32
        var sackCount: Int
        var payloadLength: Int
    }

    var number: Int
    var interface: Int
    var sourcePort: Int
    var destinationPort: Int
    /// The RUDP packets found in the frame, in order; empty if the dissector did not claim it.
    var packets: [Packet]
    /// Each packet's `rudp.crc.status`: 1 good, 0 bad.
    var crcStatuses: [Int]
    /// `rudp.index` of its DATA and FIN packets and `rudp.ack_index` of its ACKs and FIN-ACKs: the
    /// dissector's own count from the connection's ISN, as `--trace` counts.
    var indices: [Int]
    var acknowledgedIndices: [Int]
    /// The proxy's pcapng comment ("forward #12 in: dropped by loss"), or "".
    var comment: String
    /// The info column.
    var info: String

    init(line: String) {
        let columns = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        func column(_ name: String) -> String {
            let index = Dissector.fields.firstIndex(of: name)!
            return index < columns.count ? columns[index] : ""
        }
        func list<T: FixedWidthInteger>(_ name: String, as: T.Type = T.self) -> [T] {
            column(name).split(separator: ",").compactMap { T($0) }
        }
        number = Int(column("frame.number")) ?? 0
        interface = Int(column("frame.interface_id")) ?? 0
        sourcePort = Int(column("udp.srcport")) ?? 0
        destinationPort = Int(column("udp.dstport")) ?? 0
        let (types, sequences, acks, windows) = (list("rudp.type", as: Int.self), list("rudp.seq", as: UInt32.self),
                                                 list("rudp.ack", as: UInt32.self), list("rudp.window", as: UInt32.self))
        let (sacks, lengths) = (list("rudp.sack_count", as: Int.self), list("rudp.len", as: Int.self))
        packets = types.indices.compactMap { index in
            guard [sequences, acks, windows].allSatisfy({ $0.count == types.count }),
                  sacks.count == types.count, lengths.count == types.count else { return nil }
            return Packet(type: types[index], sequence: sequences[index], acknowledgement: acks[index],
                          window: windows[index], sackCount: sacks[index], payloadLength: lengths[index])
        }
        crcStatuses = list("rudp.crc.status", as: Int.self)
        (indices, acknowledgedIndices) = (list("rudp.index"), list("rudp.ack_index"))
        comment = column("frame.comment")
        info = column("_ws.col.Info")
    }
}

/// RUDP packet types as on the wire (docs/PROTOCOL.md §2).
enum WireType {
    static let syn = 1, synAck = 2, data = 3, ack = 4, fin = 5, finAck = 6, reset = 7
}

/// tshark capturing one UDP port on loopback (root only) until `stop()`: a ChildProcess with
/// default signal handling, so SIGINT ends it at once with its file complete.
final class LoopbackRecorder {
    private let child: ChildProcess

    init(port: Int, into file: URL) throws {
        // A 64 MiB buffer: runs of 64 KiB frames arrive faster than dumpcap writes them on a busy machine.
        child = try ChildProcess(path: tsharkPath!, arguments: ["-i", "lo", "-f", "udp port \(port)", "-B", "64",
                                                                "-w", file.path, "-q", "-a", "duration:60"])
        guard child.waitForLine(on: .stderr, timeout: 15, where: { $0.contains("Capturing on") }) != nil else {
            child.stop(timeout: 5)
            throw ProgramDidNotStart(program: "tshark", stderr: child.stderrLines.joined(separator: "\n"))
        }
        usleep(500_000)  // "Capturing on" comes as dumpcap starts; give the capture a moment to be live
    }

    /// Lets the last frames reach dumpcap, then stops tshark and waits for its file.
    func stop() {
        guard child.isRunning else { return }
        usleep(300_000)
        child.terminate(SIGINT)
        if child.waitForExit(timeout: 15) == nil { Issue.record("tshark ignored SIGINT for 15 s") }
    }

    deinit { stop() }
}

/// A classic pcap file of raw IPv4/UDP datagrams on 127.0.0.1, for packets a test builds byte by
/// byte (LINKTYPE_RAW; no UDP checksum, which IPv4 allows).
enum HandmadeCapture {
    struct Datagram {
        var payload: [UInt8]
        var sourcePort: UInt16
        var destinationPort: UInt16

        /// One between a client port and a server port; `reply` goes from the server.
        init(_ payload: [UInt8], reply: Bool = false) {
            self.payload = payload
            (sourcePort, destinationPort) = reply ? (40_000, 50_000) : (50_000, 40_000)
        }

        init(_ payload: [UInt8], sourcePort: UInt16, destinationPort: UInt16) {
            (self.payload, self.sourcePort, self.destinationPort) = (payload, sourcePort, destinationPort)
        }
    }

    static func write(_ datagrams: [Datagram], into url: URL) throws {
        var file: [UInt8] = []
        func little32(_ value: UInt32) { withUnsafeBytes(of: value.littleEndian) { file += $0 } }
        func little16(_ value: UInt16) { withUnsafeBytes(of: value.littleEndian) { file += $0 } }
        func big16(_ value: Int) -> [UInt8] { [UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)] }
        little32(0xA1B2_C3D4)
        little16(2)
        little16(4)
        little32(0)  // time zone
        little32(0)  // accuracy
        little32(262_144)  // snap length
        little32(101)  // LINKTYPE_RAW
        for (index, datagram) in datagrams.enumerated() {
            var packet: [UInt8] = [0x45, 0] + big16(28 + datagram.payload.count) + [0, 0, 0x40, 0, 64, 17, 0, 0, 127, 0, 0, 1, 127, 0, 0, 1]
            var sum = stride(from: 0, to: 20, by: 2).reduce(0) { $0 + (Int(packet[$1]) << 8 | Int(packet[$1 + 1])) }
            while sum > 0xFFFF { sum = (sum & 0xFFFF) + (sum >> 16) }
            packet.replaceSubrange(10..<12, with: big16(~sum & 0xFFFF))
            packet += big16(Int(datagram.sourcePort)) + big16(Int(datagram.destinationPort)) + big16(8 + datagram.payload.count) + [0, 0]
            packet += datagram.payload
            little32(UInt32(1_700_000_000 + index))
            little32(0)
            little32(UInt32(packet.count))
            little32(UInt32(packet.count))
            file += packet
        }
        try Data(file).write(to: url)
    }
}
