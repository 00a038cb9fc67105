import CLIKit
import Foundation

/// One self-contained HTML page animating one or more runs side by side on one time cursor:
/// the recorded runs as embedded JSON, the style and the script inline, nothing loaded from
/// anywhere. The "what to observe" notes are written into the page itself, so they read
/// without the script too.
public struct AnimationPage {
    public var title: String
    public var runs: [AnimationRun]
    /// A paragraph under the title (the exercise's question), if any.
    public var question: String?

    public init(title: String, runs: [AnimationRun], question: String? = nil) {
        self.title = title
        self.runs = runs
        self.question = question
    }

    public func render() -> String {
        let payload = JSONValue.object([("title", .string(title)), ("runs", .array(runs.map(\.json)))]).jsonText
        var page = """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(SVGDocument.escape(title))</title>
        <style>
        \(AnimationStyle.css)
        </style>
        </head>
        <body data-t="0" data-step="0">
        <header>
        <h1>\(SVGDocument.escape(title))</h1>
        <p class="subtitle">\(SVGDocument.escape(subtitle))</p>
        <div id="controls">
        <button id="restart" title="Back to the start">\u{21E4} Start</button>
        <button id="back" title="Previous event (←)">\u{25C0} Step</button>
        <button id="play" title="Play or pause (space)">\u{25B6} Play</button>
        <button id="forward" title="Next event (→)">Step \u{25B6}</button>
        <label>speed <select id="speed">
        <option value="0.25">0.25×</option><option value="0.5">0.5×</option><option value="1" selected>1×</option>
        <option value="2">2×</option><option value="4">4×</option><option value="10">10×</option><option value="50">50×</option>
        </select></label>
        <input id="time" type="range" min="0" max="1" step="0.001" value="0" aria-label="time cursor">
        <span id="time-text"></span>
        <span id="pace"></span>
        </div>
        </header>

        """
        if let question { page += "<p class=\"question\" style=\"margin:14px 20px 0\">\(SVGDocument.escape(question))</p>\n" }
        page += "<main id=\"runs\">\n"
        for (number, run) in runs.enumerated() { page += section(run, number: number) }
        page += "</main>\n"
        page += legend
        page += "<pre id=\"rudp-state\" hidden></pre>\n"
        page += "<script type=\"application/json\" id=\"rudp-data\">\(Self.scriptSafe(payload))</script>\n"
        page += "<script>\n\(AnimationScript.source)\n</script>\n</body>\n</html>\n"
        return page
    }

    private var subtitle: String {
        let sources = Set(runs.map(\.source))
        if sources == [.simulation] {
            return "Recorded by rudp-lab from the real RUDP sender and receiver state machines, run in the simulator "
                + "on a virtual clock; the losses are scripted drops of the link. Play, pause, step (← →) or drag the cursor."
        }
        return "Drawn by rudp-lab from a --trace file of a real transfer. Play, pause, step (← →) or drag the cursor."
    }

    private func section(_ run: AnimationRun, number: Int) -> String {
        var text = "<section class=\"run\" id=\"run-\(number)\" data-protocol=\"\(run.protocolName)\">\n"
        text += "<h2>\(SVGDocument.escape(run.title))</h2>\n"
        text += "<p class=\"command\">\(SVGDocument.escape(run.command))</p>\n"
        for caveat in run.caveats { text += "<p class=\"caveat\">\(SVGDocument.escape(caveat))</p>\n" }
        text += """
        <div class="panels">
        <div class="ladder-box"></div>
        <div class="side">
        <h4>Sender window (\(run.window) packet\(run.window == 1 ? "" : "s"))</h4>
        <div class="row sender-row"></div>
        <h4>Receiver</h4>
        <div class="row receiver-row"></div>
        <h4>Retransmission timer</h4>
        <div class="timer"><div class="timer-track"><div class="timer-fill"></div></div><span class="timer-text"></span></div>
        <h4>At the cursor</h4>
        <table class="counters"></table>
        <div class="cwnd"><h4>Congestion window (packets)</h4></div>
        <h4>Just happened</h4>
        <ol class="log"></ol>
        </div>
        </div>

        """
        if !run.notes.isEmpty {
            text += "<div class=\"observe\"><h3>What to observe</h3><ul>\n"
            for note in run.notes { text += "<li>\(SVGDocument.escape(note))</li>\n" }
            text += "</ul></div>\n"
        }
        text += "</section>\n"
        return text
    }

    private var legend: String {
        """
        <section id="legend">
        <span class="key"><i style="border-color:#0072B2"></i>DATA</span>
        <span class="key"><i style="border-color:#D55E00;border-top-width:4px"></i>DATA resent</span>
        <span class="key"><i style="border-color:#009E73"></i>ACK n: every packet below n arrived, n is the next one expected (as in TCP)</span>
        <span class="key"><i style="border-color:#8c8c8c;border-top-style:dotted"></i>SYN, SYN-ACK, FIN, FIN-ACK</span>
        <span class="key">\u{2715} lost on the link</span>
        <span class="key"><i style="border-color:#CC79A7;border-top-width:5px"></i>timer running; a purple tick: timeout</span>
        <span class="key"><i style="border-color:#56B4E9;border-top-style:dashed"></i>estimated time (one-sided trace)</span>
        <br>
        <span class="key"><b style="background:#cfe9df"></b>acknowledged / delivered</span>
        <span class="key"><b style="background:#fde6d6"></b>sent, not yet acknowledged</span>
        <span class="key"><b style="background:#e6f4ee;border-style:dashed"></b>selectively acknowledged (SACK)</span>
        <span class="key"><b style="background:#eef7fd;border:2px solid #56B4E9"></b>in the window, usable</span>
        <span class="key"><b style="background:#F0E442"></b>buffered out of order</span>
        <span class="key"><b style="background:#f5f5f5"></b>outside the window</span>
        </section>

        """
    }

    /// JSON inside a <script> element: "</" would end the element, so it is written "<\/".
    static func scriptSafe(_ json: String) -> String {
        json.replacingOccurrences(of: "</", with: "<\\/")
    }
}
