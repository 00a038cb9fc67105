import Foundation
import Synchronization
import Testing

/// The real programs on loopback: a receiver on a kernel-chosen port, a sender per protocol.
@Suite(.serialized) struct TransferEndToEndTests {
    @Test(arguments: ["sw", "gbn", "sr", "tcp"])
    func eachProtocolMovesARandomFileIntact(protocolName: String) throws {
        let fixture = try ReceiverFixture(receiverArguments: ["--once", "--json"])
        defer { fixture.finish() }
        let (scratch, receiver) = (fixture.scratch, fixture.receiver)
        let size = protocolName == "sw" ? 300_000 : 3_000_000
        let original = try scratch.randomFile("payload.bin", size: size)

        let sent = try ProgramRunner.run("rudp-send", [scratch.file("payload.bin").path, receiver.address,
                                                       "--protocol", protocolName, "--json"])
        #expect(sent.status == 0, "stderr: \(sent.stderr)")
        #expect(receiver.waitForExit() == 0)
        let received = try fixture.received("payload.bin")
        #expect(received == original)
        #expect(fixture.incomingContents() == ["payload.bin"], "no temporary file left behind")

        let summary = try #require(try JSONSerialization.jsonObject(with: Data(sent.stdout.utf8)) as? [String: Any])
        #expect(summary["protocol"] as? String == protocolName)
        #expect(summary["bytes"] as? Int == size)
        #expect((summary["goodput_mbps"] as? Double ?? 0) > 0)
        for key in ["seconds", "packets_sent", "retransmissions", "timeouts", "sha256"] {
            #expect(summary[key] != nil, "JSON summary lacks \(key)")
        }
        let line = try #require(try JSONSerialization.jsonObject(with: Data(receiver.stdout.text().utf8)) as? [String: Any])
        #expect(line["file"] as? String == "payload.bin")
        #expect(line["status"] as? String == "ok")
        #expect(line["sha256"] as? String == summary["sha256"] as? String)
        #expect(line["protocol"] as? String == protocolName)
    }

    @Test func standardInputIsSentUnderTheGivenName() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let receiver = try RunningReceiver(directory: scratch.url, arguments: ["--once"])
        defer { receiver.stop() }
        let data = Data((0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        let sent = try ProgramRunner.run("rudp-send", ["-", receiver.address, "--name", "from-stdin.bin", "--quiet"], stdin: data)
        #expect(sent.status == 0, "stderr: \(sent.stderr)")
        #expect(sent.stdout.isEmpty && sent.stderr.isEmpty, "--quiet prints nothing on success")
        #expect(receiver.waitForExit() == 0)
        #expect(try Data(contentsOf: scratch.file("from-stdin.bin")) == data)
    }

    @Test(arguments: ["../escape.txt", "a/b", "..", ".", "", "tab\tname", String(repeating: "x", count: 256), "back\\slash"])
    func unsafeNamesAreRefusedAndNothingIsWritten(name: String) throws {
        let fixture = try ReceiverFixture(receiverArguments: ["--once"])
        defer { fixture.finish() }
        let (scratch, receiver) = (fixture.scratch, fixture.receiver)
        try scratch.randomFile("payload.bin", size: 5_000)
        let sent = try ProgramRunner.run("rudp-send", [scratch.file("payload.bin").path, receiver.address, "--name", name])
        #expect(sent.status == 1)
        #expect(sent.stderr.contains("refused"), "stderr: \(sent.stderr)")
        #expect(sent.stderr.split(separator: "\n").count == 1, "one line: \(sent.stderr)")
        #expect(receiver.waitForExit() == 1)
        #expect(fixture.incomingContents().isEmpty)
        #expect(!FileManager.default.fileExists(atPath: scratch.file("escape.txt").path))
    }

    @Test(arguments: ["sr", "tcp"])
    func anExistingFileIsKeptUnlessOverwriteIsGiven(protocolName: String) throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let incoming = scratch.file("in")
        try FileManager.default.createDirectory(at: incoming, withIntermediateDirectories: true)
        let previous = Data("precious".utf8)
        try previous.write(to: incoming.appendingPathComponent("payload.bin"))
        let original = try scratch.randomFile("payload.bin", size: 20_000)

        let keeping = try RunningReceiver(directory: incoming, arguments: ["--once"])
        let refused = try ProgramRunner.run("rudp-send", [scratch.file("payload.bin").path, keeping.address, "--protocol", protocolName])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("already exists"), "stderr: \(refused.stderr)")
        #expect(keeping.waitForExit() == 1)
        #expect(try Data(contentsOf: incoming.appendingPathComponent("payload.bin")) == previous)

        let overwriting = try RunningReceiver(directory: incoming, arguments: ["--once", "--overwrite"])
        defer { overwriting.stop() }
        let replaced = try ProgramRunner.run("rudp-send", [scratch.file("payload.bin").path, overwriting.address, "--protocol", protocolName])
        #expect(replaced.status == 0, "stderr: \(replaced.stderr)")
        #expect(overwriting.waitForExit() == 0)
        #expect(try Data(contentsOf: incoming.appendingPathComponent("payload.bin")) == original)
    }

    @Test func oneReceiverServesSeveralSendersAtOnce() throws {
        let fixture = try ReceiverFixture()
        defer { fixture.finish() }
        let (scratch, receiver) = (fixture.scratch, fixture.receiver)
        let protocols = ["sw", "gbn", "sr", "tcp", "sr", "gbn"]
        var originals: [String: Data] = [:]
        for (index, _) in protocols.enumerated() {
            originals["f\(index).bin"] = try scratch.randomFile("f\(index).bin", size: 200_000 + index * 1_000)
        }
        let results = Mutex<[Int32]>([])
        let address = receiver.address
        // Plain threads, not Dispatch's pool: Foundation's Process needs that pool to notice exits.
        let group = DispatchGroup()
        for (index, protocolName) in protocols.enumerated() {
            group.enter()
            let path = scratch.file("f\(index).bin").path
            Thread {
                let result = try? ProgramRunner.run("rudp-send", [path, address, "--protocol", protocolName, "--quiet"])
                results.withLock { $0.append(result?.status ?? -1) }
                group.leave()
            }.start()
        }
        #expect(group.wait(timeout: .now() + 120) == .success)
        #expect(results.withLock { $0 } == Array(repeating: 0, count: protocols.count))
        for (name, data) in originals {
            #expect(try fixture.received(name) == data, "\(name)")
        }
    }
}

extension ScratchDirectory {
    init(existing url: URL) { self.url = url }
}
