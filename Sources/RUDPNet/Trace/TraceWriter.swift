#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CLIKit
import RUDP
import SystemKit

/// Writes protocol events to a file as JSON lines (`--trace FILE`), one object per event:
///
///     {"t":0.041250,"event":"send","index":12,"bytes":1200}
///     {"t":0.083112,"conn":3735928559,"event":"ack_sent","cumulative":13,"sack_blocks":0,"window":64}
///     {"t":0.095020,"event":"cwnd","cause":"loss","cwnd":30000,"ssthresh":30000,"in_flight":54000,"mss":1200,"pacing_mbps":null,"phase":"recovery"}
///
/// `t` is seconds since the transfer started (its `origin`); `conn` is present when one file
/// holds several transfers (the receiver's). `rudp-lab plot-trace --help` lists every event and field.
/// Lines are formatted into one reused buffer and written in large blocks, so tracing costs no
/// allocation per packet; `close` (or `flush`) writes what is left.
public final class TraceWriter {
    /// The file written, as it may be shown on a terminal (escaped: a path is bytes, not always UTF-8).
    public let path: String
    private var fileDescriptor: Int32
    private var buffer: [UInt8] = []
    /// The first write failure, reported by `flush` and `close` (a trace must not stop a transfer).
    private var writeFailure: FileError?
    private static let blockSize = 1 << 16

    /// Creates (or truncates) `path`.
    public convenience init(path: String) throws(FileError) {
        try self.init(path: FilePath(path))
    }

    /// Creates (or truncates) `path`, its bytes exactly as given.
    public init(path: FilePath) throws(FileError) {
        self.path = TerminalText.escaping(path.bytes)
        do { fileDescriptor = try Posix.open(path, flags: O_WRONLY | O_CREAT | O_TRUNC, mode: 0o644) } catch {
            throw FileError.io("cannot create trace file \(self.path)", error)
        }
        buffer.reserveCapacity(Self.blockSize + 1_024)
    }

    deinit { try? close() }

    /// A value of a `start` line's field.
    public enum Field: Sendable, Equatable {
        case string(String)
        case integer(Int)
    }

    /// Writes the `start` line of a transfer: who traces it and its settings, at t = 0.
    public func recordStart(role: String, connection: UInt32? = nil, fields: [(String, Field)] = []) {
        beginLine(elapsed: 0, connection: connection, event: "start")
        appendKey("role")
        appendString(role)
        for (key, value) in fields {
            appendKey(key)
            switch value {
            case .string(let text): appendString(text)
            case .integer(let number): appendInteger(number)
            }
        }
        endLine()
    }

    /// An observer writing every event of one transfer; `origin` is its start (monotonic ns).
    public func observer(origin: UInt64, connection: UInt32? = nil) -> ProtocolEventObserver {
        { [unowned self] now, event in
            self.record(event, elapsed: now >= origin ? now - origin : 0, connection: connection)
        }
    }

    /// Writes one event that happened `elapsed` nanoseconds after its transfer started.
    public func record(_ event: ProtocolEvent, elapsed: UInt64, connection: UInt32? = nil) {
        switch event {
        case .sent(let index, let bytes, let retransmission):
            beginLine(elapsed: elapsed, connection: connection, event: retransmission ? "retransmit" : "send")
            appendField("index", index)
            appendField("bytes", bytes)
        case .acknowledged(let cumulative, let sackBlocks, let windowEdge):
            beginLine(elapsed: elapsed, connection: connection, event: sackBlocks > 0 ? "sack" : "ack")
            appendField("cumulative", cumulative)
            appendField("sack_blocks", sackBlocks)
            appendField("window_edge", windowEdge)
        case .timeout(let index, let rto):
            beginLine(elapsed: elapsed, connection: connection, event: "timeout")
            appendField("index", index)
            appendField("rto_ms", milliseconds: rto)
        case .fastRetransmit(let index):
            beginLine(elapsed: elapsed, connection: connection, event: "fast_retransmit")
            appendField("index", index)
        case .rtoChanged(let rto, let smoothedRTT):
            beginLine(elapsed: elapsed, connection: connection, event: "rto")
            appendField("rto_ms", milliseconds: rto)
            appendKey("srtt_ms")
            if let smoothedRTT { appendMilliseconds(smoothedRTT) } else { append("null") }
        case .received(let index, let duplicate, let outOfOrder):
            beginLine(elapsed: elapsed, connection: connection, event: "receive")
            appendField("index", index)
            appendField("duplicate", duplicate)
            appendField("out_of_order", outOfOrder)
        case .ackSent(let cumulative, let sackBlocks, let window):
            beginLine(elapsed: elapsed, connection: connection, event: "ack_sent")
            appendField("cumulative", cumulative)
            appendField("sack_blocks", sackBlocks)
            appendField("window", UInt64(window))
        case .congestion(let report):
            beginLine(elapsed: elapsed, connection: connection, event: "cwnd")
            appendKey("cause")
            appendString(report.cause.rawValue)
            appendField("cwnd", report.window)
            appendKey("ssthresh")
            if let threshold = report.slowStartThreshold { appendInteger(threshold) } else { append("null") }
            appendField("in_flight", report.bytesInFlight)
            appendField("mss", report.mss)
            appendKey("pacing_mbps")
            if let rate = report.pacingRate, rate.isFinite, rate >= 0 {
                appendFixed(UInt64(min(rate * 8 / 1_000, 1e15)), decimals: 3)  // kbit/s as Mbit/s
            } else {
                append("null")
            }
            appendKey("phase")
            if let phase = report.phase { appendString(phase.rawValue) } else { append("null") }
        }
        endLine()
    }

    /// Writes the buffered lines; throws the first write failure seen so far.
    public func flush() throws(FileError) {
        writeBuffer()
        if let writeFailure { throw writeFailure }
    }

    /// Writes what is buffered and closes the file; later calls do nothing.
    public func close() throws(FileError) {
        guard fileDescriptor >= 0 else { return }
        writeBuffer()
        do {
            try Posix.close(fileDescriptor)
        } catch {
            if writeFailure == nil { writeFailure = FileError.io("cannot write trace file \(path)", error) }
        }
        fileDescriptor = -1
        if let writeFailure { throw writeFailure }
    }

    // MARK: Formatting

    private func beginLine(elapsed: UInt64, connection: UInt32?, event: StaticString) {
        append("{\"t\":")
        appendFixed(elapsed / 1_000, decimals: 6)  // microseconds as seconds
        if let connection {
            append(",\"conn\":")
            appendUnsigned(UInt64(connection))
        }
        append(",\"event\":\"")
        append(event)
        append("\"")
    }

    private func endLine() {
        append("}\n")
        if buffer.count >= Self.blockSize { writeBuffer() }
    }

    private func appendKey(_ key: StaticString) {
        append(",\"")
        append(key)
        append("\":")
    }

    private func appendField(_ key: StaticString, _ value: UInt64) {
        appendKey(key)
        appendUnsigned(value)
    }

    private func appendField(_ key: StaticString, _ value: Int) {
        appendKey(key)
        appendInteger(value)
    }

    private func appendField(_ key: StaticString, _ value: Bool) {
        appendKey(key)
        append(value ? "true" : "false")
    }

    private func appendField(_ key: StaticString, milliseconds nanoseconds: UInt64) {
        appendKey(key)
        appendMilliseconds(nanoseconds)
    }

    private func appendKey(_ key: String) {
        buffer.append(UInt8(ascii: ","))
        appendString(key)
        buffer.append(UInt8(ascii: ":"))
    }

    private func append(_ text: StaticString) {
        text.withUTF8Buffer { buffer.append(contentsOf: $0) }
    }

    /// A JSON string: quotes, backslashes and control characters escaped.
    private func appendString(_ text: String) {
        buffer.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                buffer.append(UInt8(ascii: "\\"))
                buffer.append(byte)
            case 0..<0x20, 0x7F:
                append("\\u00")
                let digits: StaticString = "0123456789abcdef"
                digits.withUTF8Buffer { hex in
                    buffer.append(hex[Int(byte >> 4)])
                    buffer.append(hex[Int(byte & 0xF)])
                }
            default:
                buffer.append(byte)
            }
        }
        buffer.append(UInt8(ascii: "\""))
    }

    private func appendInteger(_ value: Int) {
        if value < 0 { buffer.append(UInt8(ascii: "-")) }
        appendUnsigned(UInt64(value.magnitude))
    }

    private func appendUnsigned(_ value: UInt64) {
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        var rest = value
        withUnsafeMutableBytes(of: &digits) { raw in
            repeat {
                raw[count] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
                count += 1
            } while rest > 0
            for position in stride(from: count - 1, through: 0, by: -1) { buffer.append(raw[position]) }
        }
    }

    /// `units` / 10^decimals with exactly `decimals` decimals: 41250 with 6 gives 0.041250.
    private func appendFixed(_ units: UInt64, decimals: Int) {
        var scale: UInt64 = 1
        for _ in 0..<decimals { scale *= 10 }
        appendUnsigned(units / scale)
        buffer.append(UInt8(ascii: "."))
        var fraction = units % scale
        for _ in 0..<decimals {
            scale /= 10
            buffer.append(UInt8(ascii: "0") + UInt8(fraction / scale))
            fraction %= scale
        }
    }

    /// Nanoseconds as milliseconds with three decimals (microsecond resolution).
    private func appendMilliseconds(_ nanoseconds: UInt64) {
        appendFixed(nanoseconds / 1_000, decimals: 3)
    }

    private func writeBuffer() {
        defer { buffer.removeAll(keepingCapacity: true) }
        guard fileDescriptor >= 0, writeFailure == nil, !buffer.isEmpty else { return }
        let descriptor = fileDescriptor
        buffer.withUnsafeBytes { bytes in
            do throws(SystemError) { try Posix.writeAll(descriptor, bytes) } catch {
                writeFailure = FileError.io("cannot write trace file \(path)", error)
            }
        }
    }
}
