import Foundation
import Testing

/// The command-line contract: exit codes, one-line errors, help and version.
@Suite struct CommandLineEndToEndTests {
    @Test(arguments: ["rudp-send", "rudp-recv"])
    func helpAndVersion(program: String) throws {
        let help = try ProgramRunner.run(program, ["--help"])
        #expect(help.status == 0)
        #expect(help.stdout.contains("Usage"))
        #expect(help.stdout.contains("--json") && help.stdout.contains("--quiet"))
        let version = try ProgramRunner.run(program, ["--version"])
        #expect(version.status == 0)
        #expect(!version.stdout.isEmpty)
    }

    @Test func sendHelpListsEveryFlag() throws {
        let help = try ProgramRunner.run("rudp-send", ["--help"]).stdout
        for flag in ["--protocol", "--window", "--mss", "--rto", "--max-retries", "--name", "--json", "--quiet"] {
            #expect(help.contains(flag), "missing \(flag)")
        }
    }

    @Test(arguments: [
        ("rudp-send", ["--bogus"]),
        ("rudp-send", ["a", "127.0.0.1:9", "--protocol", "quic"]),
        ("rudp-send", ["a", "127.0.0.1:9", "--window", "0"]),
        ("rudp-send", ["a", "not-an-address"]),
        ("rudp-send", ["a", "127.0.0.1:9", "--rto", "10"]),
        ("rudp-send", ["a"]),
        ("rudp-recv", ["--idle-timeout", "soon"]),
        ("rudp-recv", ["--listen", "127.0.0.1:99999"]),
    ])
    func usageErrorsExitTwoWithOneLine(program: String, arguments: [String]) throws {
        let result = try ProgramRunner.run(program, arguments)
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1, "one line: \(result.stderr)")
        #expect(result.stderr.hasPrefix(program + ":"))
    }

    @Test func aMissingFileIsExitOneNamingIt() throws {
        let result = try ProgramRunner.run("rudp-send", ["/nonexistent/missing-file.bin", "127.0.0.1:9"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("/nonexistent/missing-file.bin"))
        #expect(result.stderr.split(separator: "\n").count == 1, "one line: \(result.stderr)")
    }

    @Test(arguments: ["sr", "gbn", "tcp"])
    func nobodyListeningIsExitOneInBoundedTime(protocolName: String) throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        try scratch.randomFile("x.bin", size: 1_000)
        // A port nobody listens on: bind one, note it, close it.
        let port = try freeLoopbackPort()
        let result = try ProgramRunner.run("rudp-send", [scratch.file("x.bin").path, "127.0.0.1:\(port)",
                                                         "--protocol", protocolName, "--max-retries", "3"], timeout: 30)
        #expect(result.status == 1)
        #expect(result.seconds < 15, "took \(result.seconds) s")
        #expect(result.stderr.contains("127.0.0.1:\(port)") || result.stderr.contains("no answer"), "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1, "one line: \(result.stderr)")
    }

    @Test func anUnwritableOutputDirectoryIsRefusedAtStart() throws {
        let result = try ProgramRunner.run("rudp-recv", ["--out", "/nonexistent-dir-for-rudp", "--listen", "127.0.0.1:0"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("/nonexistent-dir-for-rudp"))
    }

    func freeLoopbackPort() throws -> Int {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socket, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
