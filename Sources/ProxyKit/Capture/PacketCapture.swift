#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Impairment
import SystemKit

/// `lossproxy --pcap FILE`: every datagram the proxy sees, on arrival (interface 0, "before
/// impairment", inbound) and as it leaves (interface 1, "after impairment", outbound), each
/// with a comment saying what the engine did (`DatagramFateRecorder`). Packets are IP packets
/// (LINKTYPE_RAW); the relay's UDP payloads get synthesized IP and UDP headers.
///
/// Writes are buffered and flushed every 64 KiB, every second and at the end. A write error
/// stops the capture, not the proxy: one line says so, and the file ends at the last good flush.
final class PacketCapture {
    /// The file written.
    let path: String
    /// The recorders of each direction's fates, installed as the pipelines' observers by `attach`.
    let forward = DatagramFateRecorder(direction: "forward")
    let reverse = DatagramFateRecorder(direction: "reverse")
    /// Told the one line when the capture stops on an error.
    var log: (String) -> Void = { _ in }

    private let fileDescriptor: Int32
    private let writer: PcapngWriter
    private let beforeInterface: UInt32
    private let afterInterface: UInt32
    /// Added to monotonic times to make pcapng's wall-clock timestamps.
    private let wallClockOffset: UInt64
    private var lastFlush: UInt64
    private var isStopped = false

    /// Creates (or truncates) `path` and writes the section and interface headers.
    /// `source` describes what is captured, e.g. `UDP relay :9001 -> 127.0.0.1:9000`.
    init(path: String, source: String) throws(SystemError) {
        self.path = path
        fileDescriptor = try Posix.open(path, flags: O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode: 0o644)
        writer = PcapngWriter(fileDescriptor: fileDescriptor, application: "lossproxy")
        beforeInterface = writer.addInterface(
            linkType: PcapngWriter.linkTypeRaw, name: "before", description: "\(source): as received, before impairment")
        afterInterface = writer.addInterface(
            linkType: PcapngWriter.linkTypeRaw, name: "after", description: "\(source): as sent, after impairment")
        let now = MonotonicClock.now()
        wallClockOffset = WallClock.nanosecondsSinceEpoch() &- now
        lastFlush = now
        flushOrStop()
    }

    deinit { try? Posix.close(fileDescriptor) }

    /// Makes the recorders `link`'s observers.
    func attach(to link: ImpairedLink) {
        link.forward.observer = forward
        link.reverse.observer = reverse
    }

    /// Records the datagram `recorder`'s pipeline was just given at `now`. `addresses` (source,
    /// destination) make the UDP and IP headers of a UDP payload; nil: `bytes` is an IP packet.
    func recordArrival(_ recorder: DatagramFateRecorder, _ bytes: UnsafeRawBufferPointer,
                       addresses: (SocketAddress, SocketAddress)?, now: UInt64) {
        let comment = recorder.takeArrivalComment()
        append(bytes, interface: beforeInterface, direction: .inbound, addresses: addresses, comment: comment, now: now)
    }

    /// Records the datagram `recorder`'s pipeline is releasing at `now` (as `recordArrival`).
    func recordRelease(_ recorder: DatagramFateRecorder, _ bytes: UnsafeRawBufferPointer,
                       addresses: (SocketAddress, SocketAddress)?, now: UInt64) {
        append(bytes, interface: afterInterface, direction: .outbound, addresses: addresses,
               comment: recorder.releaseComment, now: now)
    }

    /// Writes what is buffered (at the end of a run).
    func finish() {
        guard !isStopped else { return }
        flushOrStop()
    }

    private func append(_ bytes: UnsafeRawBufferPointer, interface: UInt32, direction: PcapngWriter.Direction,
                        addresses: (SocketAddress, SocketAddress)?, comment: String, now: UInt64) {
        guard !isStopped else { return }
        let header = addresses.map { SynthesizedUDPHeader.bytes(source: $0.0, destination: $0.1, payload: bytes) } ?? []
        writer.appendPacket(interface: interface, timestamp: now &+ wallClockOffset, header: header, payload: bytes,
                            direction: direction, comment: comment)
        if writer.wantsFlush || now &- lastFlush >= 1_000_000_000 {
            lastFlush = now
            flushOrStop()
        }
    }

    private func flushOrStop() {
        do {
            try writer.flush()
        } catch {
            isStopped = true
            log("capture to \(path) stopped: writing failed: \(error)")
        }
    }
}
