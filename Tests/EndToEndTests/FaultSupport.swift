import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An rudp-send reading standard input from a pipe the test holds: it sends what it is fed and
/// then waits for more, so a test can stop it, or its receiver, in the middle of a transfer.
final class HeldSender {
    let process = Process()
    private let input = Pipe()
    let stderr: Collector
    let stdout: Collector

    /// Writes happen here, in order, so a sender that stops reading never blocks the test.
    private let writer = DispatchQueue(label: "HeldSender.stdin")

    init(to address: String, name: String, protocolName: String, extraArguments: [String] = []) throws {
        Glibc.signal(SIGPIPE, SIG_IGN)  // a sender that exits early makes our writes fail with EPIPE, not kill us
        process.executableURL = ProgramRunner.url(of: "rudp-send")
        process.arguments = ["-", address, "--name", name, "--protocol", protocolName] + extraArguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        stdout = Collector(out.fileHandleForReading)
        stderr = Collector(err.fileHandleForReading)
    }

    func feed(_ data: Data) {
        let handle = input.fileHandleForWriting
        writer.async { try? handle.write(contentsOf: data) }
    }

    func endInput() {
        let handle = input.fileHandleForWriting
        writer.async { try? handle.close() }
    }

    func signal(_ number: Int32) { kill(process.processIdentifier, number) }

    /// Exit status once it ended by itself within `timeout` seconds (else it is killed: nil).
    func waitForExit(timeout: Double) -> Int32? {
        guard ProgramRunner.waitForExit(process, timeout: timeout) else {
            process.terminate()
            process.waitUntilExit()
            return nil
        }
        return process.terminationStatus
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}

enum FaultSupport {
    /// Waits until `directory` holds a receiver's temporary file of at least `bytes` bytes (the
    /// transfer is under way and data reached the disk); false after `timeout` seconds.
    static func waitForTemporaryFile(in directory: URL, atLeast bytes: Int, timeout: Double = 20) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
            for name in names where name.hasPrefix(".rudp-") {
                let size = (try? FileManager.default.attributesOfItem(atPath: directory.appendingPathComponent(name).path))?[.size]
                if let size = size as? Int, size >= bytes { return true }
            }
            usleep(20_000)
        }
        return false
    }

    /// Waits until `directory` is empty (the receiver removed its partial file); false after `timeout`.
    static func waitUntilEmpty(_ directory: URL, timeout: Double) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if ScratchDirectory(existing: directory).contents().isEmpty { return true }
            usleep(20_000)
        }
        return ScratchDirectory(existing: directory).contents().isEmpty
    }

    /// Random bytes (not compressible, not repetitive).
    static func randomData(_ count: Int) -> Data {
        var words = [UInt64](repeating: 0, count: (count + 7) / 8)
        var generator = SystemRandomNumberGenerator()
        for index in words.indices { words[index] = generator.next() }
        return words.withUnsafeBytes { Data($0.prefix(count)) }
    }

    static let prlimitPath = ["/usr/bin/prlimit", "/bin/prlimit"].first { FileManager.default.isExecutableFile(atPath: $0) }

    /// Sets a running process's file-size limit (RLIMIT_FSIZE) with prlimit(1).
    static func limitFileSize(of process: Process, to bytes: Int) throws {
        let tool = Process()
        tool.executableURL = URL(fileURLWithPath: prlimitPath ?? "/usr/bin/prlimit")
        tool.arguments = ["--pid", "\(process.processIdentifier)", "--fsize=\(bytes)"]
        try tool.run()
        tool.waitUntilExit()
        guard tool.terminationStatus == 0 else { throw HostilePeerError("prlimit failed with status \(tool.terminationStatus)") }
    }

    /// Whether `process` ignores signal `number` (the SigIgn mask of /proc/PID/status).
    static func ignoresSignal(_ number: Int32, process: Process) -> Bool {
        guard let status = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("SigIgn:") }),
              let mask = UInt64(line.dropFirst("SigIgn:".count).trimmingCharacters(in: .whitespaces), radix: 16)
        else { return false }
        return mask & (1 << UInt64(number - 1)) != 0
    }

    /// Whether this process may mount a tmpfs (root, in a namespace that allows it).
    static let canMountTmpfs: Bool = {
        guard getuid() == 0 else { return false }
        let probe = FileManager.default.temporaryDirectory.appendingPathComponent("rudp-mount-probe-\(UUID().uuidString)")
        guard (try? FileManager.default.createDirectory(at: probe, withIntermediateDirectories: true)) != nil else { return false }
        defer { try? FileManager.default.removeItem(at: probe) }
        guard mount("tmpfs", probe.path, "tmpfs", 0, "size=64k") == 0 else { return false }
        umount(probe.path)
        return true
    }()
}

/// One line, as the contract asks of every error (a trailing newline allowed).
func isOneLine(_ text: String) -> Bool {
    text.trimmingCharacters(in: .newlines).split(separator: "\n").count == 1
}
