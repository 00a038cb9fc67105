#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Stops the process when an invariant does not hold: libFuzzer records the input as a crash.
/// `fatalError` is used, not `precondition`, because -O builds keep it.
@inline(__always)
func fuzzCheck(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String,
               file: StaticString = #fileID, line: UInt = #line) {
    if !condition() { fatalError("fuzz invariant broken: \(message())", file: file, line: line) }
}

/// Prints a step of a harness when built with -D FUZZ_TRACE (scripts/fuzz.sh --trace TARGET FILE).
@inline(__always)
func fuzzTrace(_ message: @autoclosure () -> String) {
    #if FUZZ_TRACE
    fputs(message() + "\n", stderr)  // unbuffered: the last steps before a crash must show
    #endif
}

/// Decodes a datagram a state machine produced: whatever it sends must be a valid packet.
func decodeOutput(_ datagram: UnsafeRawBufferPointer, of producer: String) -> PacketView? {
    do {
        return try PacketView.decode(datagram)
    } catch {
        fuzzCheck(false, "the \(producer) produced an undecodable datagram: \(error)")
        return nil
    }
}
