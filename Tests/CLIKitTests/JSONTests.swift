import Testing
@testable import CLIKit

@Suite struct JSONEncodingTests {
    @Test func compactWithKeysInInsertionOrder() {
        let value: JSONValue = ["file": "a", "bytes": 3, "ok": true, "error": nil, "list": [1, 2.5]]
        #expect(value.jsonText == #"{"file":"a","bytes":3,"ok":true,"error":null,"list":[1,2.5]}"#)
        let reversed: JSONValue = ["z": 1, "a": 2]
        #expect(reversed.jsonText == #"{"z":1,"a":2}"#)
        #expect(JSONValue.object([]).jsonText == "{}")
        #expect(JSONValue.array([]).jsonText == "[]")
    }

    @Test func escapesStrings() {
        #expect(JSONValue.string("a\"b\\c").jsonText == #""a\"b\\c""#)
        #expect(JSONValue.string("line\nnext\ttab\r").jsonText == #""line\nnext\ttab\r""#)
        #expect(JSONValue.string("\u{01}\u{1F}\u{7F}\u{08}\u{0C}").jsonText == #""\u0001\u001f\u007f\b\f""#)
        #expect(JSONValue.string("é ✓ 🚀 /").jsonText == "\"é ✓ 🚀 /\"")
        #expect(JSONValue.string("\u{2028}").jsonText == #""\u2028""#)
        let keyed: JSONValue = ["we\"ird": 1]
        #expect(keyed.jsonText == #"{"we\"ird":1}"#)
    }

    @Test func doublesAreFiniteAndRounded() throws {
        #expect(JSONValue.double(0.1 + 0.2).jsonText == "0.3")
        #expect(JSONValue.double(54.23456789).jsonText == "54.234568")
        #expect(JSONValue.double(3).jsonText == "3.0")
        #expect(JSONValue.double(0).jsonText == "0.0")
        #expect(JSONValue.double(-1.5).jsonText == "-1.5")
        #expect(JSONValue.double(.nan).jsonText == "null")
        #expect(JSONValue.double(.infinity).jsonText == "null")
        #expect(JSONValue.double(-.infinity).jsonText == "null")
        // Tiny and huge values keep their magnitude instead of rounding to zero.
        #expect(try JSONValue(parsing: JSONValue.double(1.5e-7).jsonText).doubleValue == 1.5e-7)
        #expect(try JSONValue(parsing: JSONValue.double(2e20).jsonText).doubleValue == 2e20)
    }

    @Test func integersFromAnyWidth() {
        #expect(JSONValue.integer(UInt64(42)) == .int(42))
        #expect(JSONValue.integer(UInt64.max) == .double(Double(UInt64.max)))
        #expect(JSONValue.int(-7).jsonText == "-7")
    }
}

@Suite struct JSONParsingTests {
    @Test func roundTripsAnEncodedDocument() throws {
        let original: JSONValue = [
            "protocol": "sr", "bytes": 1_048_576, "seconds": 1.25, "ok": true, "none": nil,
            "rtt_ms": ["min": 0.5, "mean": 1.75, "max": 12.0],
            "names": ["a\"b", "c\\d", "line\nbreak", "\u{01}", "🚀"], "nested": [[], [:], [[1]]],
            "negative": -3, "exp": 1.5e-7,
        ]
        let parsed = try JSONValue(parsing: original.jsonText)
        #expect(parsed == original)
        #expect(parsed.jsonText == original.jsonText)
    }

    @Test func readsFieldsOfAChildProcessLine() throws {
        let line = #"  {"file":"x.bin","bytes":10,"seconds":0.5,"status":"ok","rtt_ms":{"max":3}}  "#
        let value = try JSONValue(parsing: line)
        #expect(value["file"]?.stringValue == "x.bin")
        #expect(value["bytes"]?.intValue == 10)
        #expect(value["seconds"]?.doubleValue == 0.5)
        #expect(value["rtt_ms"]?["max"]?.doubleValue == 3)
        #expect(value["missing"] == nil)
        #expect(value.objectMembers?.map(\.key) == ["file", "bytes", "seconds", "status", "rtt_ms"])
    }

    @Test func decodesEscapes() throws {
        #expect(try JSONValue(parsing: #""a\u00e9\n\/\"\\\b\f\r\t""#) == .string("aé\n/\"\\\u{08}\u{0C}\r\t"))
        #expect(try JSONValue(parsing: #""\ud83d\ude80""#) == .string("🚀"))
        #expect(try JSONValue(parsing: "\"é✓\"") == .string("é✓"))
    }

    @Test func numbers() throws {
        #expect(try JSONValue(parsing: "0") == .int(0))
        #expect(try JSONValue(parsing: "-12") == .int(-12))
        #expect(try JSONValue(parsing: "1.5") == .double(1.5))
        #expect(try JSONValue(parsing: "1E3") == .double(1000))
        #expect(try JSONValue(parsing: "2e-2") == .double(0.02))
        #expect(try JSONValue(parsing: "99999999999999999999") == .double(1e20))
    }

    @Test(arguments: [
        "", "   ", "{", "[1,]", "{\"a\":1,}", "{a:1}", "01", "1.", ".5", "-", "+1", "1e", "tru", "nul",
        "\"unterminated", "\"bad \\x escape\"", "\"\\ud800\"", "\"\\ud800\\u0041\"", "\"raw\ncontrol\"",
        "[1] 2", "{\"a\" 1}", "NaN", "1e999", "\"\\u12\"",
    ])
    func rejectsInvalidInput(text: String) {
        #expect(throws: JSONParseError.self) { try JSONValue(parsing: text) }
    }

    @Test func errorSaysWhere() {
        do {
            _ = try JSONValue(parsing: #"{"a":1 "b":2}"#)
            Issue.record("parsed invalid JSON")
        } catch let error as JSONParseError {
            #expect(error.offset == 7)
            #expect(error.description == "invalid JSON at byte 7: expected ',' or '}'")
        } catch {
            Issue.record("wrong error \(error)")
        }
    }

    @Test func deepNestingIsAnErrorNotACrash() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: JSONParseError.self) { try JSONValue(parsing: deep) }
        let fine = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect(throws: Never.self) { try JSONValue(parsing: fine) }
    }
}
