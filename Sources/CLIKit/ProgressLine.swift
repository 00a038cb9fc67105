/// One status line on stderr, redrawn in place (`\r` + clear to end of line) while work goes on.
///
/// It draws only when its sink is a terminal and it is enabled (not `--quiet`), so logs and
/// pipes never receive carriage returns. Redraws are limited to one per `minimumInterval`
/// (100 ms: at most 10 per second) of the caller's clock, so calling `update` per packet is cheap.
/// Other stderr output while it is showing should go through `log`, which keeps the line intact.
public final class ProgressLine {
    /// Control sequence: erase from the cursor to the end of the line (VT100, every terminal today).
    static let clearToEnd = "\u{1B}[K"

    private let sink: any TextSink
    private let minimumInterval: UInt64
    /// Whether anything will ever be drawn (terminal sink and enabled).
    public let isActive: Bool
    private var lastDrawTime: UInt64? = nil
    private var latestText = ""
    private var isShowing = false

    /// - Parameters:
    ///   - sink: where to draw; standard error by default.
    ///   - enabled: false for `--quiet` (or `--json` when the caller prefers silence).
    ///   - minimumInterval: nanoseconds between redraws.
    public init(
        sink: any TextSink = FileDescriptorSink.standardError, enabled: Bool = true,
        minimumInterval: UInt64 = 100_000_000
    ) {
        self.sink = sink
        self.minimumInterval = minimumInterval
        self.isActive = enabled && sink.isTerminal
    }

    /// Offers new content at time `now` (nanoseconds, any monotonic origin); drawn if the last
    /// redraw is at least `minimumInterval` old, otherwise kept for the next redraw or `finish`.
    public func update(_ text: String, now: UInt64) {
        guard isActive else { return }
        latestText = text
        if let last = lastDrawTime, now >= last, now - last < minimumInterval { return }
        lastDrawTime = now
        draw()
    }

    /// Prints a whole line above the status line (a log message) and redraws the status line under it.
    public func log(_ line: String) {
        guard isActive else {
            sink.write(line + "\n")
            return
        }
        if isShowing {
            sink.write("\r" + ProgressLine.clearToEnd + line + "\n")
            draw()
        } else {
            sink.write(line + "\n")
        }
    }

    /// Ends the display: erases the line, or with `keepLastLine` leaves the latest content on
    /// screen followed by a newline. Later `update`s start a fresh line.
    public func finish(keepLastLine: Bool = false) {
        guard isActive, isShowing else { return }
        if keepLastLine {
            sink.write("\r" + fitted(latestText) + ProgressLine.clearToEnd + "\n")
        } else {
            sink.write("\r" + ProgressLine.clearToEnd)
        }
        isShowing = false
        lastDrawTime = nil
    }

    private func draw() {
        sink.write("\r" + fitted(latestText) + ProgressLine.clearToEnd)
        isShowing = true
    }

    /// A line longer than the terminal would wrap, and `\r` would then redraw only its last part.
    private func fitted(_ text: String) -> String {
        guard let columns = sink.columns, columns > 1, text.count >= columns else { return text }
        return String(text.prefix(columns - 1))
    }
}
