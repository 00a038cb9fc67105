import Testing
@testable import CLIKit

/// A sink that records what is written and pretends to be (or not be) a terminal.
final class RecordingSink: TextSink {
    var written: [String] = []
    let isTerminal: Bool
    let columns: Int?

    init(isTerminal: Bool, columns: Int? = nil) {
        self.isTerminal = isTerminal
        self.columns = columns
    }

    func write(_ text: String) { written.append(text) }
    var all: String { written.joined() }
}

@Suite struct ProgressLineTests {
    @Test func drawsNothingWhenNotATerminal() {
        let sink = RecordingSink(isTerminal: false)
        let progress = ProgressLine(sink: sink)
        #expect(!progress.isActive)
        for step in 0..<50 { progress.update("step \(step)", now: UInt64(step) * 1_000_000_000) }
        progress.finish()
        progress.finish(keepLastLine: true)
        #expect(sink.written.isEmpty)
        // Log lines still go out, plainly.
        progress.log("proxy: dropped #3")
        #expect(sink.all == "proxy: dropped #3\n")
    }

    @Test func drawsNothingWhenDisabled() {
        let sink = RecordingSink(isTerminal: true)
        let progress = ProgressLine(sink: sink, enabled: false)
        progress.update("x", now: 0)
        progress.finish()
        #expect(sink.written.isEmpty)
    }

    @Test func redrawsAtMostTenTimesPerSecond() {
        let sink = RecordingSink(isTerminal: true)
        let progress = ProgressLine(sink: sink)
        // 1000 updates over one second: one every millisecond.
        for millisecond in 0..<1000 {
            progress.update("at \(millisecond)", now: UInt64(millisecond) * 1_000_000)
        }
        #expect(sink.written.count == 10)
        #expect(sink.written.first == "\r" + "at 0" + "\u{1B}[K")
        #expect(sink.written.last == "\r" + "at 900" + "\u{1B}[K")
    }

    @Test func finishClearsOrKeepsTheLatestText() {
        let sink = RecordingSink(isTerminal: true)
        let progress = ProgressLine(sink: sink)
        progress.update("first", now: 0)
        progress.update("latest", now: 1)  // rate limited: not drawn yet
        progress.finish(keepLastLine: true)
        #expect(sink.written.last == "\r" + "latest" + "\u{1B}[K\n")

        sink.written.removeAll()
        progress.update("again", now: 2)
        #expect(sink.written == ["\ragain\u{1B}[K"])
        progress.finish()
        #expect(sink.written.last == "\r\u{1B}[K")
        sink.written.removeAll()
        progress.finish()
        #expect(sink.written.isEmpty)
    }

    @Test func logPrintsAboveAndRedraws() {
        let sink = RecordingSink(isTerminal: true)
        let progress = ProgressLine(sink: sink)
        progress.update("50%", now: 0)
        progress.log("retransmitting #7")
        #expect(sink.written.suffix(2) == ["\r\u{1B}[Kretransmitting #7\n", "\r50%\u{1B}[K"])
    }

    @Test func truncatesToTheTerminalWidth() {
        let sink = RecordingSink(isTerminal: true, columns: 10)
        let progress = ProgressLine(sink: sink)
        progress.update("0123456789abcdef", now: 0)
        #expect(sink.written == ["\r012345678\u{1B}[K"])
    }
}

@Suite struct TransferProgressTests {
    @Test func knownTotal() {
        let progress = TransferProgress(
            bytesDone: 12_300_000, totalBytes: 50_000_000, bitsPerSecond: 54_200_000, retransmissions: 12)
        // 37.7 MB left at 6.775 MB/s is 5.56 s, shown rounded up.
        #expect(progress.line == "12.3 MB / 50.0 MB  24%  54.2 Mbit/s  retx 12  ETA 6 s")
    }

    @Test func unknownTotalHasNoPercentOrETA() {
        let progress = TransferProgress(bytesDone: 1_500, totalBytes: nil, bitsPerSecond: 0, retransmissions: 0)
        #expect(progress.line == "1.50 kB  0 bit/s  retx 0")
        #expect(progress.etaSeconds == nil)
    }

    @Test func longETAUsesMinutesAndZeroTotalIsComplete() {
        let slow = TransferProgress(bytesDone: 0, totalBytes: 1_000_000, bitsPerSecond: 64_000, retransmissions: 3)
        #expect(slow.line.hasSuffix("ETA 2m 05s"))
        let empty = TransferProgress(bytesDone: 0, totalBytes: 0, bitsPerSecond: 1, retransmissions: 0)
        #expect(empty.line.contains("100%"))
    }
}

@Suite struct ThroughputMeterTests {
    @Test func steadyRate() {
        var meter = ThroughputMeter()
        #expect(meter.bitsPerSecond == 0)
        // 1 MB per second, recorded every 10 ms for 3 s.
        for tick in 0...300 {
            meter.record(totalBytes: UInt64(tick) * 10_000, now: UInt64(tick) * 10_000_000)
        }
        #expect(abs(meter.bitsPerSecond - 8_000_000) < 1)
    }

    @Test func followsARateChangeWithinAboutAWindow() {
        var meter = ThroughputMeter()
        var bytes: UInt64 = 0
        for tick in 1...200 {  // 2 s at 1 MB/s
            bytes += 10_000
            meter.record(totalBytes: bytes, now: UInt64(tick) * 10_000_000)
        }
        for tick in 201...400 {  // then 2 s stalled
            meter.record(totalBytes: bytes, now: UInt64(tick) * 10_000_000)
        }
        #expect(meter.bitsPerSecond == 0)
    }
}
