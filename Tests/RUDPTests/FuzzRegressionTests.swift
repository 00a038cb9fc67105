import RUDP
import Testing

/// Inputs the fuzz targets in Fuzz/ found to break an invariant, kept as tests once fixed.
@Suite struct FuzzRegressionTests {
    /// decoder target: a SYN whose name exceeds the 4,096-byte limit was encoded with the full
    /// length in its length field but only 4,096 name bytes, so the receiver could not decode it
    /// and dropped it silently; the sender then reported the receiver unreachable.
    @Test(arguments: [4_096, 4_097, 4_131, 65_535, 70_000])
    func anOverlongNameStillEncodesADecodableSyn(length: Int) throws {
        let syn = SynPayload(mode: .selectiveRepeat, mss: 1200, window: 64, fileSize: 10,
                             name: Array(repeating: 0x61, count: length))
        let decoded = try syn.encoded().withUnsafeBytes { bytes throws(WireError) in try SynPayload(decoding: bytes) }
        #expect(decoded.name.count == min(length, SynPayload.maxNameLength))
        #expect(decoded.mss == 1200 && decoded.window == 64 && decoded.fileSize == 10)
    }
}
