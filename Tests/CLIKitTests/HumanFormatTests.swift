import Testing
@testable import CLIKit

@Suite struct HumanFormatTests {
    @Test(arguments: [
        (0 as UInt64, "0 B"), (999, "999 B"), (1000, "1.00 kB"), (12_345_678, "12.3 MB"),
        (999_999, "1.00 MB"), (123_456_789, "123 MB"), (1_073_741_824, "1.07 GB"),
    ])
    func bytes(count: UInt64, text: String) {
        #expect(HumanFormat.bytes(count) == text)
    }

    @Test(arguments: [
        (0.0, "0 bit/s"), (800, "800 bit/s"), (54_200_000, "54.2 Mbit/s"), (1e9, "1.00 Gbit/s"),
        (999_600, "1.00 Mbit/s"), (12_345, "12.3 kbit/s"), (-5, "0 bit/s"), (Double.nan, "0 bit/s"),
    ])
    func rates(bits: Double, text: String) {
        #expect(HumanFormat.rate(bitsPerSecond: bits) == text)
    }

    @Test(arguments: [
        (850 as UInt64, "850 ns"), (250_000, "250 us"), (850_000_000, "850 ms"),
        (1_520_000_000, "1.52 s"), (12_500_000, "12.5 ms"), (999_600, "1.00 ms"),
        (125_000_000_000, "2m 05s"), (3_720_000_000_000, "1h 02m"), (59_999_000_000, "1m 00s"),
    ])
    func durations(nanoseconds: UInt64, text: String) {
        #expect(HumanFormat.duration(nanoseconds: nanoseconds) == text)
    }

    @Test func fixedAndTrimmed() {
        #expect(HumanFormat.fixed(1.5, decimals: 2) == "1.50")
        #expect(HumanFormat.fixed(-0.004, decimals: 2) == "0.00")
        #expect(HumanFormat.fixed(-2.345, decimals: 1) == "-2.3")
        #expect(HumanFormat.fixed(0.05, decimals: 3) == "0.050")
        #expect(HumanFormat.trimmed(5.0, maximumDecimals: 4) == "5")
        #expect(HumanFormat.trimmed(0.125, maximumDecimals: 4) == "0.125")
        #expect(HumanFormat.duration(seconds: -1) == "?")
    }
}
