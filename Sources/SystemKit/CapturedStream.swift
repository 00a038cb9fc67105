#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Our non-blocking read end of a pipe from a child's stdout or stderr, split into lines.
///
/// At end of stream the descriptor is closed (so a poll loop stops waking on its hang-up) and a
/// last unterminated line, if any, is kept as a line of its own.
struct CapturedStream {
    /// The read end, or -1 once the stream has ended.
    private(set) var descriptor: Int32
    /// Every complete line read so far, without its newline.
    private(set) var lines: [String] = []
    private var pending: [UInt8] = []

    init(readEnd: Int32) {
        descriptor = readEnd
    }

    /// Whether the writer may still send more.
    var isOpen: Bool { descriptor >= 0 }

    /// Reads everything the pipe holds now and returns the lines completed by it.
    mutating func readAvailable() -> [String] {
        guard isOpen else { return [] }
        var endOfStream = false
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 16_384) { chunk in
            while true {
                let count: Int?
                do {
                    count = try Posix.read(descriptor, UnsafeMutableRawBufferPointer(chunk))
                } catch {
                    endOfStream = true  // EIO and the like: nothing more will come from this pipe
                    break
                }
                guard let count else { break }  // would block: all there is for now
                if count == 0 {
                    endOfStream = true
                    break
                }
                pending += chunk[..<count]
            }
        }
        var completed: [String] = []
        while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
            completed.append(String(decoding: pending[..<newline], as: UTF8.self))
            pending.removeSubrange(...newline)
        }
        if endOfStream {
            if !pending.isEmpty {
                completed.append(String(decoding: pending, as: UTF8.self))
                pending.removeAll()
            }
            close()
        }
        lines += completed
        return completed
    }

    /// Closes the read end (a child still writing then gets SIGPIPE or EPIPE).
    mutating func close() {
        guard isOpen else { return }
        try? Posix.close(descriptor)
        descriptor = -1
    }
}
