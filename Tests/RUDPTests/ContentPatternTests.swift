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
