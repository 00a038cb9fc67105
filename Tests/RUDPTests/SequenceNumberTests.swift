import RUDP
import Testing

@Test func serialComparisonAcrossTheWrap() {
    let high = SequenceNumber(0xFFFF_FFF0)
    let low = SequenceNumber(5)
    #expect(high < low)
    #expect(low > high)
    #expect(low.distance(from: high) == 21)
    #expect(high.distance(from: low) == -21)
    #expect(high + 0x20 == SequenceNumber(0x10))
    #expect(SequenceNumber(0) > SequenceNumber(UInt32.max))
    #expect(SequenceNumber(7) <= SequenceNumber(7) && SequenceNumber(7) >= SequenceNumber(7))
    // Just under half the space apart is still ordered the short way round.
    #expect(SequenceNumber(0) < SequenceNumber(0x7FFF_FFFF))
    #expect(SequenceNumber(0x7FFF_FFFF) > SequenceNumber(0))
}

@Test func sequenceSpaceMapsIndicesAcrossTheWrap() {
    let space = SequenceSpace(origin: SequenceNumber(UInt32.max - 2))
    #expect(space.wire(0) == SequenceNumber(UInt32.max - 2))
    #expect(space.wire(3) == SequenceNumber(0))
    #expect(space.index(of: SequenceNumber(1), near: 2) == 4)
    #expect(space.index(of: SequenceNumber(UInt32.max), near: 10) == 2)
    // Far beyond one wrap the index keeps counting.
    let far: UInt64 = (1 << 32) + 100
    #expect(space.index(of: space.wire(far + 5), near: far) == far + 5)
    #expect(space.index(of: space.wire(far - 5), near: far) == far - 5)
    // Before the origin there is no index.
    #expect(space.index(of: SequenceNumber(UInt32.max - 10), near: 0) == nil)
}
