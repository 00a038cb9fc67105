import CLIKit
import Foundation
import Testing

/// Chromium run headless on a page (`--dump-dom`): the DOM after the page's script ran, and the
/// animation state the page mirrors into `<pre id="rudp-state">`.
struct HeadlessBrowser {
    let executable: String

    /// The Chromium on PATH (Debian's `chromium`, or another common name), if any.
    static let found: HeadlessBrowser? = {
        let names = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"]
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            for name in names where FileManager.default.isExecutableFile(atPath: "\(directory)/\(name)") {
                return HeadlessBrowser(executable: "\(directory)/\(name)")
            }
        }
        return nil
    }()

    static let skipReason: Comment = "needs a headless Chromium on PATH (Debian: apt-get install chromium)"

    /// The serialized DOM of `url` once loaded; `budget` lets that much virtual time pass first.
    func dumpDOM(_ url: URL, virtualTimeBudget budget: Int? = nil) throws -> String {
        let profile = FileManager.default.temporaryDirectory.appendingPathComponent("rudp-chromium-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: profile) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--user-data-dir=\(profile.path)"]
            + (budget.map { ["--virtual-time-budget=\($0)"] } ?? []) + ["--dump-dom", url.absoluteString]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let killer = DispatchWorkItem { if process.isRunning { process.terminate() } }
        DispatchQueue.global().asyncAfter(deadline: .now() + 60, execute: killer)
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        killer.cancel()
        guard process.terminationStatus == 0 else { throw BrowserFailure("chromium exited with \(process.terminationStatus) on \(url)") }
        return String(decoding: data, as: UTF8.self)
    }

    /// The animation's state at the place `fragment` (e.g. "t=0.35") opens `page` at.
    func state(of page: URL, fragment: String, virtualTimeBudget: Int? = nil) throws -> DrawnPage {
        var components = URLComponents(url: page, resolvingAgainstBaseURL: false)!
        components.fragment = fragment
        let dom = try dumpDOM(components.url!, virtualTimeBudget: virtualTimeBudget)
        return try DrawnPage(dom: dom)
    }
}

struct BrowserFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// What the browser drew: the state JSON and the DOM it came with.
struct DrawnPage {
    let dom: String
    let state: JSONValue

    init(dom: String) throws {
        self.dom = dom
        guard let start = dom.range(of: "<pre id=\"rudp-state\" hidden=\"\">"),
              let end = dom.range(of: "</pre>", range: start.upperBound..<dom.endIndex) else {
            throw BrowserFailure("no <pre id=\"rudp-state\"> in the DOM: did the page's script run?")
        }
        let text = String(dom[start.upperBound..<end.lowerBound])
            .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&amp;", with: "&")
        state = try JSONValue(parsing: text)
    }

    var time: Double { state["t"]?.doubleValue ?? -1 }

    func run(_ number: Int) -> JSONValue { state["runs"]?.arrayValue?[number] ?? .null }

    /// The value of `attribute` on run `number`'s <section>.
    func sectionAttribute(_ attribute: String, run number: Int = 0) -> String? {
        guard let open = dom.range(of: "<section class=\"run\" id=\"run-\(number)\""),
              let close = dom.range(of: ">", range: open.upperBound..<dom.endIndex) else { return nil }
        let tag = dom[open.lowerBound..<close.lowerBound]
        guard let key = tag.range(of: " \(attribute)=\"") else { return nil }
        let rest = tag[key.upperBound...]
        return rest.firstIndex(of: "\"").map { String(rest[..<$0]) }
    }

    /// How many drawn ladder elements carry `fragment` in their opening tag (e.g. `data-state="lost"`).
    func count(_ fragment: String) -> Int { dom.components(separatedBy: fragment).count - 1 }
}
