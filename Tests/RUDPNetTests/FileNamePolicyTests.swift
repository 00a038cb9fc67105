import Testing
@testable import RUDPNet

/// The names a receiver refuses, and how it shows them.
@Suite struct FileNamePolicyTests {
    func refusal(_ name: [UInt8]) -> String? {
        if case .failure(let refusal) = FileNamePolicy.validate(name) { return refusal.message }
        return nil
    }

    @Test("names in the receiver's temporary namespace are refused: a later receiver would delete them",
          arguments: [".rudp-12345678.part", ".rudp-.part", ".rudp-not-hex.part"])
    func temporaryNamesAreRefused(name: String) throws {
        let message = try #require(refusal(Array(name.utf8)))
        #expect(message.contains("temporary files"), "\(message)")
    }

    @Test("names near the temporary namespace stay allowed", arguments: [".rudp-notes.txt", "x.rudp-1.part", ".rudp.part"])
    func nearbyNamesAreAllowed(name: String) {
        #expect(refusal(Array(name.utf8)) == nil)
    }

    @Test("C1 control characters (NEL, CSI) are refused like C0 ones", arguments: ["a\u{85}b", "x\u{9B}31m", "\u{80}"])
    func c1ControlsAreRefused(name: String) throws {
        let message = try #require(refusal(Array(name.utf8)))
        #expect(message.contains("control character"))
        #expect(!message.unicodeScalars.contains { (0x80...0x9F).contains($0.value) }, "the message shows it escaped")
    }

    @Test("a name that is not UTF-8 is refused, and the refusal shows its bytes escaped")
    func invalidUTF8IsRefusedAndShownEscaped() throws {
        let message = try #require(refusal([0x63, 0x61, 0x66, 0xE9, 0x2E, 0x74, 0x78, 0x74]))
        #expect(message.hasPrefix("file name 'caf\\xE9.txt' is refused: it is not valid UTF-8"), "\(message)")
    }

    @Test("ordinary names, accents and all, are accepted as they are", arguments: ["report.pdf", "café.txt", "日本.bin"])
    func ordinaryNamesAreAccepted(name: String) {
        #expect(try! FileNamePolicy.validate(Array(name.utf8)).get() == name)
    }
}
