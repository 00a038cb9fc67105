import Foundation
import Testing

/// Many senders at once: one receiver serves 32 concurrent transfers of mixed protocols (the
/// four of them, eight each), and every file arrives intact with no temporary file left.
@Suite(.serialized) struct HostileLoadTests {
    @Test func thirtyTwoConcurrentSendersOfMixedProtocolsAllArriveIntact() throws {
        let fixture = try ReceiverFixture(receiverArguments: ["--json"])
        defer { fixture.finish() }
        let (scratch, receiver) = (fixture.scratch, fixture.receiver)
        let protocols = ["sw", "gbn", "sr", "tcp"]
        var originals: [String: Data] = [:]
        var runs: [(name: String, run: BackgroundRun)] = []
        for index in 0..<32 {
            let protocolName = protocols[index % protocols.count]
            let name = "f\(index)-\(protocolName).bin"
            originals[name] = try scratch.randomFile(name, size: (protocolName == "sw" ? 150_000 : 700_000) + index * 997)
            runs.append((name, BackgroundRun("rudp-send", [scratch.file(name).path, receiver.address,
                                                           "--protocol", protocolName, "--quiet"], timeout: 150)))
        }
        for (name, run) in runs {
            let result = run.wait(timeout: 180)
            #expect(result?.status == 0, "\(name): \(result?.stderr ?? "did not finish")")
        }
        for (name, data) in originals {
            #expect(try fixture.received(name) == data, "\(name)")
        }
        #expect(fixture.incomingContents() == originals.keys.sorted(), "no temporary file left")
        let lines = receiver.stdout.snapshot().split(separator: "\n")
        #expect(lines.count == 32 && lines.allSatisfy { $0.contains("\"status\":\"ok\"") }, "\(lines.count) reports")
    }
}
