import Testing
@testable import RUDPNet
@testable import SystemKit

/// A coalesced receive buffer splits back into the datagrams that were sent.
@Suite struct DatagramRunTests {
    func lengths(_ total: Int, segment: Int) -> [Int] {
        let bytes = [UInt8](repeating: 0, count: total)
        return bytes.withUnsafeBytes { raw in
            let run = DatagramRun(bytes: raw, segmentSize: segment)
            let lengths = run.map(\.count)
            #expect(lengths.count == run.count)
            return lengths
        }
    }

    @Test func segmentsAreEqualButTheLast() {
        #expect(lengths(3_600, segment: 1_200) == [1_200, 1_200, 1_200])
        #expect(lengths(3_000, segment: 1_200) == [1_200, 1_200, 600])
        #expect(lengths(700, segment: 1_200) == [700])
        #expect(lengths(700, segment: 700) == [700])
    }

    @Test func anEmptyBufferHoldsNoDatagram() {
        #expect(lengths(0, segment: 0) == [])
        #expect(lengths(0, segment: 1_200) == [])
    }
}
