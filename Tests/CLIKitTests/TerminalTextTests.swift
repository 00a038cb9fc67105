import Testing
@testable import CLIKit

/// Text from a peer or a path is escaped before it reaches a terminal.
@Suite struct TerminalTextTests {
    @Test("ESC, BEL, DEL and the C1 controls come out as \\xHH")
    func controlsAreEscaped() {
        #expect(TerminalText.escaping("\u{1B}[31mred\u{1B}]0;title\u{07}") == "\\x1B[31mred\\x1B]0;title\\x07")
        #expect(TerminalText.escaping("a\u{7F}b\u{85}c\u{9B}d") == "a\\x7Fb\\x85c\\x9Bd")
    }

    @Test("bytes that are not UTF-8 come out as \\xHH, valid sequences around them unchanged")
    func invalidBytesAreEscaped() {
        #expect(TerminalText.escaping([0x63, 0x61, 0x66, 0xE9, 0x2E]) == "caf\\xE9.")
        #expect(TerminalText.escaping([0xFF, 0xFE]) == "\\xFF\\xFE")
        #expect(TerminalText.escaping(Array("naïve ✓".utf8)) == "naïve ✓")
        #expect(TerminalText.escaping([0xE2, 0x9C]) == "\\xE2\\x9C", "a truncated sequence")
    }

    @Test("bidirectional overrides, which reorder what is shown, are escaped")
    func bidiOverridesAreEscaped() {
        #expect(TerminalText.escaping("evil\u{202E}fdp.exe") == "evil\\u{202E}fdp.exe")
    }

    @Test("safe text passes unchanged, so escaping twice changes nothing")
    func escapingIsIdempotent() {
        let once = TerminalText.escaping("\u{1B}[2J and \\ backslash")
        #expect(TerminalText.escaping(once) == once)
        #expect(TerminalText.escaping("plain text, 100%") == "plain text, 100%")
    }
}
