// Fuzz harness support: compiled into one module with Sources/RUDP (see scripts/fuzz.sh), so the
// harnesses reach the state machines' internal counters as well as their public API.

/// Reads typed values from the fuzzer's bytes. Past the end every read yields zero, so any
/// byte string is a valid program for a harness, and a longer one only adds steps.
struct FuzzInput {
    private let bytes: UnsafeRawBufferPointer
    private var offset = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    var isExhausted: Bool { offset >= bytes.count }

    mutating func byte() -> UInt8 {
        guard offset < bytes.count else { return 0 }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func integer<T: FixedWidthInteger & UnsignedInteger>(_ type: T.Type = T.self) -> T {
        var value: T = 0
        for _ in 0..<MemoryLayout<T>.size { value = value << 8 | T(byte()) }
        return value
    }

    /// A value in 0..<bound (bound ≥ 1), from as few bytes as the bound needs.
    mutating func below(_ bound: Int) -> Int {
        precondition(bound >= 1)
        if bound <= 256 { return Int(byte()) % bound }
        if bound <= 65_536 { return Int(integer(UInt16.self)) % bound }
        return Int(integer(UInt32.self) % UInt32(clamping: bound))
    }

    /// A value in `range`.
    mutating func within(_ range: ClosedRange<Int>) -> Int { range.lowerBound + below(range.count) }

    mutating func chance(_ oneIn: Int) -> Bool { below(oneIn) == 0 }

    /// Up to `limit` raw bytes (fewer if the input ends).
    mutating func bytes(upTo limit: Int) -> [UInt8] {
        let count = min(limit, bytes.count - min(offset, bytes.count))
        defer { offset += count }
        return Array(bytes[offset..<(offset + count)])
    }

    /// A time step in nanoseconds spanning microseconds to tens of seconds (timers live at every scale).
    mutating func timeStep() -> UInt64 {
        let scales: [UInt64] = [0, 1_000, 100_000, 2_000_000, 50_000_000, 400_000_000, 2_000_000_000, 20_000_000_000]
        let scale = scales[below(scales.count)]
        return scale == 0 ? 0 : scale / 2 + UInt64(below(Int(min(scale, UInt64(UInt32.max)))))
    }

    /// An initial sequence number, usually near the 2^32 wrap so transfers cross it.
    mutating func initialSequence() -> UInt32 {
        switch below(4) {
        case 0: UInt32.max - UInt32(below(256))
        case 1: UInt32(below(256))
        case 2: UInt32(1) << 31 &- UInt32(below(256))
        default: integer(UInt32.self)
        }
    }
}
