#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CLIKit
import RUDP

/// Files of random bytes for experiments, and their SHA-256.
enum RandomFile {
    /// Writes `size` random bytes to `path` (created, mode 0600) and returns their SHA-256.
    static func write(path: String, size: UInt64) throws -> SHA256Digest {
        guard let file = fopen(path, "wbx") else {
            throw RuntimeFailure("cannot create \(path): \(String(cString: strerror(errno)))")
        }
        defer { fclose(file) }
        var hasher = SHA256()
        var generator = SystemRandomNumberGenerator()
        var chunk = [UInt64](repeating: 0, count: 1 << 17)  // 1 MiB
        var remaining = size
        while remaining > 0 {
            for index in chunk.indices { chunk[index] = generator.next() }
            let count = Int(min(remaining, UInt64(chunk.count * 8)))
            let written = chunk.withUnsafeBytes { bytes -> Int in
                let part = UnsafeRawBufferPointer(rebasing: bytes[..<count])
                hasher.update(part)
                return fwrite(part.baseAddress, 1, count, file)
            }
            guard written == count else {
                throw RuntimeFailure("cannot write \(path): \(String(cString: strerror(errno)))")
            }
            remaining -= UInt64(count)
        }
        guard fflush(file) == 0 else {
            throw RuntimeFailure("cannot write \(path): \(String(cString: strerror(errno)))")
        }
        return hasher.finalize()
    }

    /// The SHA-256 of the file at `path`.
    static func digest(path: String) throws -> SHA256Digest {
        guard let file = fopen(path, "rb") else {
            throw RuntimeFailure("cannot open \(path): \(String(cString: strerror(errno)))")
        }
        defer { fclose(file) }
        var hasher = SHA256()
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
            if count > 0 {
                chunk.withUnsafeBytes { hasher.update(UnsafeRawBufferPointer(rebasing: $0[..<count])) }
            }
            if count < chunk.count {
                guard ferror(file) == 0 else {
                    throw RuntimeFailure("cannot read \(path): \(String(cString: strerror(errno)))")
                }
                break
            }
        }
        return hasher.finalize()
    }
}
