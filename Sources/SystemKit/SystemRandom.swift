/// Unpredictable numbers from the operating system (`getrandom`/`arc4random`), for
/// connection IDs and initial sequence numbers, where a seeded generator would be guessable.
/// Simulations that must be reproducible take a seeded generator instead.
public enum SystemRandom {
    /// A uniformly random 32-bit value.
    public static func uint32() -> UInt32 {
        var generator = SystemRandomNumberGenerator()
        return generator.next()
    }

    /// A uniformly random 64-bit value.
    public static func uint64() -> UInt64 {
        var generator = SystemRandomNumberGenerator()
        return generator.next()
    }

    /// Fills `buffer` with random bytes.
    public static func fill(_ buffer: UnsafeMutableRawBufferPointer) {
        var generator = SystemRandomNumberGenerator()
        var offset = 0
        while offset < buffer.count {
            var word = generator.next() as UInt64
            let chunk = min(8, buffer.count - offset)
            withUnsafeBytes(of: &word) { bytes in
                UnsafeMutableRawBufferPointer(rebasing: buffer[offset..<offset + chunk])
                    .copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[0..<chunk]))
            }
            offset += chunk
        }
    }
}
