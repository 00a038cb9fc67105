import Testing
@testable import CLIKit

/// The message of the `ValueError` a parse throws, or nil if it did not throw one.
func valueErrorMessage<T>(_ parse: (String) throws -> T, _ text: String) -> String? {
    do {
        _ = try parse(text)
        return nil
    } catch let error as ValueError {
        return error.message
    } catch {
        return "unexpected error type: \(error)"
    }
}

@Suite struct DurationParsingTests {
    @Test(arguments: [
        ("100ns", 100 as UInt64), ("250us", 250_000), ("250µs", 250_000), ("250μs", 250_000),
        ("10ms", 10_000_000), ("1.5s", 1_500_000_000), ("2m", 120_000_000_000),
        ("1h", 3_600_000_000_000), ("0s", 0), ("0", 0), ("0.25ms", 250_000), (".5s", 500_000_000),
        ("10 ms", 10_000_000), ("10MS", 10_000_000), (" 3s ", 3_000_000_000), ("1min", 60_000_000_000),
        ("1.0000000005s", 1_000_000_001), ("0.1s", 100_000_000),
    ])
    func acceptsUnits(text: String, nanoseconds: UInt64) throws {
        #expect(try DurationValue.parse(text).nanoseconds == nanoseconds)
    }

    @Test func bareNumberNeedsAUnit() {
        let message = valueErrorMessage(DurationValue.parse, "10")
        #expect(message == "'10' needs a unit: 10ms, 10s, 10us (units: ns, us, ms, s, m, h)")
        #expect(valueErrorMessage(DurationValue.parse, "1.5")?.contains("needs a unit") == true)
    }

    @Test func rejectsNegative() {
        #expect(valueErrorMessage(DurationValue.parse, "-5ms") == "'-5ms' is negative; a duration must be 0 or more")
    }

    @Test func rejectsUnknownUnitNamingIt() {
        let message = valueErrorMessage(DurationValue.parse, "10xs")
        #expect(message == "'10xs' has an unknown unit 'xs'; use ns, us, ms, s, m or h")
    }

    @Test(arguments: ["", "ms", "abc", "--", ".s", "nan", "inf"])
    func rejectsNonNumbers(text: String) {
        #expect(valueErrorMessage(DurationValue.parse, text)?.contains("is not a duration") == true)
    }

    @Test func rejectsOverflow() {
        #expect(valueErrorMessage(DurationValue.parse, "99999999999h")?.contains("too large") == true)
        #expect(valueErrorMessage(DurationValue.parse, "99999999999999999999999ns")?.contains("too large") == true)
    }

    @Test func convenienceViews() throws {
        let value = try DurationValue.parse("1500ms")
        #expect(value.seconds == 1.5)
        #expect(value.milliseconds == 1500)
        #expect(value.description == "1.50 s")
    }
}

@Suite struct RateParsingTests {
    @Test(arguments: [
        ("800kbit", 800_000 as UInt64), ("10mbit", 10_000_000), ("1gbit", 1_000_000_000),
        ("2tbit", 2_000_000_000_000), ("1.5mbit", 1_500_000), ("100bit", 100), ("100", 100),
        ("1kibit", 1024), ("1mibit", 1_048_576), ("1gibit", 1_073_741_824),
        ("1bps", 8), ("125kbps", 1_000_000), ("1mbps", 8_000_000), ("1gbps", 8_000_000_000),
        ("1kibps", 8192), ("10Mbit", 10_000_000), ("54.2 Mbit/s", 54_200_000), ("0", 0),
    ])
    func acceptsTcUnits(text: String, bits: UInt64) throws {
        #expect(try RateValue.parse(text).bitsPerSecond == bits)
    }

    @Test func unknownUnitExplainsBitsVersusBytes() {
        let message = valueErrorMessage(RateValue.parse, "10mb")
        #expect(message?.hasPrefix("'10mb' has an unknown unit 'mb'") == true)
        #expect(message?.contains("mbit") == true)
        #expect(message?.contains("bytes/s") == true)
    }

    @Test func rejectsNegativeAndGarbage() {
        #expect(valueErrorMessage(RateValue.parse, "-1mbit")?.contains("negative") == true)
        #expect(valueErrorMessage(RateValue.parse, "fast")?.contains("is not a rate") == true)
        #expect(valueErrorMessage(RateValue.parse, "99999999tbit")?.contains("too large") == true)
    }

    @Test func bytesPerSecondView() throws {
        #expect(try RateValue.parse("8mbit").bytesPerSecond == 1_000_000)
        #expect(try RateValue.parse("54.2mbit").description == "54.2 Mbit/s")
    }
}

@Suite struct SizeParsingTests {
    @Test(arguments: [
        ("1400", 1400 as UInt64), ("1400B", 1400), ("64KiB", 65_536), ("10MB", 10_000_000),
        ("1GiB", 1_073_741_824), ("1TiB", 1 << 40), ("1KB", 1000), ("1kB", 1000), ("64K", 65_536),
        ("2M", 2_097_152), ("1G", 1_073_741_824), ("1.5MB", 1_500_000), ("1.5KiB", 1536),
        ("0", 0), ("10 MiB", 10_485_760),
    ])
    func acceptsDecimalAndBinaryUnits(text: String, bytes: UInt64) throws {
        #expect(try SizeValue.parse(text).bytes == bytes)
    }

    @Test func rejectsFractionalBytes() {
        #expect(valueErrorMessage(SizeValue.parse, "1.5") == "'1.5' is not a whole number of bytes")
    }

    @Test func rejectsBadInput() {
        #expect(valueErrorMessage(SizeValue.parse, "10XB")?.contains("unknown unit 'XB'") == true)
        #expect(valueErrorMessage(SizeValue.parse, "-1KB")?.contains("negative") == true)
        #expect(valueErrorMessage(SizeValue.parse, "big")?.contains("is not a size") == true)
        #expect(valueErrorMessage(SizeValue.parse, "20000000TiB")?.contains("too large") == true)
    }
}

@Suite struct PercentParsingTests {
    @Test(arguments: [
        ("5", 0.05), ("5%", 0.05), ("0.5%", 0.005), ("0", 0.0), ("100", 1.0), ("100%", 1.0),
        ("12.5 %", 0.125),
    ])
    func acceptsNetemForms(text: String, fraction: Double) throws {
        #expect(try PercentValue.parse(text).fraction == fraction)
    }

    @Test(arguments: ["150%", "100.01", "-1", "-0.5%"])
    func rejectsOutOfRange(text: String) {
        #expect(valueErrorMessage(PercentValue.parse, text) == "'\(text)' is not a percentage between 0 and 100")
    }

    @Test(arguments: ["five", "5x", "%", "", "5%%"])
    func rejectsNonPercentages(text: String) {
        #expect(valueErrorMessage(PercentValue.parse, text) == "'\(text)' is not a percentage (examples: 5, 5%, 0.5%)")
    }

    @Test func describesItself() throws {
        #expect(try PercentValue.parse("5").description == "5%")
        #expect(try PercentValue.parse("0.25").description == "0.25%")
        #expect(try PercentValue.parse("5").percent == 5)
    }
}
