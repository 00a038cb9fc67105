import RUDPSim
import Testing

/// The simulator's file content: the same bytes whatever the chunking, and mismatches found.
@Test func contentPatternIsTheSameWhateverTheChunking() {
    let whole = UnsafeMutableRawBufferPointer.allocate(byteCount: 1_000, alignment: 8)
    let piece = UnsafeMutableRawBufferPointer.allocate(byteCount: 1_000, alignment: 8)
    defer { whole.deallocate(); piece.deallocate() }
    ContentPattern.fill(whole, offset: 0)
    for start in [0, 1, 7, 8, 9, 333] {
        for length in [0, 1, 5, 8, 13, 64, 400] where start + length <= 1_000 {
            let part = UnsafeMutableRawBufferPointer(rebasing: piece[0..<length])
            ContentPattern.fill(part, offset: UInt64(start))
            #expect(Array(part) == Array(whole[start..<(start + length)]), "start \(start), length \(length)")
            #expect(ContentPattern.matches(UnsafeRawBufferPointer(part), offset: UInt64(start), scratch: piece))
        }
    }
    ContentPattern.fill(UnsafeMutableRawBufferPointer(rebasing: piece[0..<100]), offset: 50)
    piece[37] ^= 0x10
    #expect(!ContentPattern.matches(UnsafeRawBufferPointer(rebasing: piece[0..<100]), offset: 50,
                                    scratch: UnsafeMutableRawBufferPointer(rebasing: whole[0..<100])))
}

/// A campaign draws a new file size per scenario: the shared reference files stay within their budget.
@Suite struct ContentReferenceBudgetTests {
    @Test func referencesOfManySizesStayWithinTheBudget() {
        for step in 0..<40 {
            let size = 9 << 20 + step * 4_099  // 40 sizes of ~9 MB: 360 MB if all were kept
            let reference = ContentPattern.reference(size: size)
            #expect(reference?.bytes.count == size)
            #expect(ContentPattern.cachedReferenceBytes <= ContentPattern.referenceBudget)
        }
    }
}
