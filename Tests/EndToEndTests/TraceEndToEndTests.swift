import Foundation
import Testing

/// `--trace` on the real programs: a loopback transfer through a lossy proxy leaves JSON lines
/// on both sides, in time order, that `rudp-lab plot-trace` turns into a time-sequence graph.
@Suite(.serialized) struct TraceEndToEndTests {
    /// Each line of a trace file as a JSON object.
    static func lines(_ url: URL) throws -> [[String: Any]] {
        let text = try String(contentsOf: url, encoding: .utf8)
        #expect(text.hasSuffix("\n"), "the last line is complete")
        return try text.split(separator: "\n").map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "not an object: \(line)")
        }
    }

    @Test(arguments: ["gbn", "sr"])
    func bothSidesTraceARealTransferInTimeOrder(protocolName: String) throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let incoming = scratch.file("in")
        try FileManager.default.createDirectory(at: incoming, withIntermediateDirectories: true)
        let size = 240_000
        try scratch.randomFile("payload.bin", size: size)
        let receiverTrace = scratch.file("recv.jsonl")
        let receiver = try RunningReceiver(directory: incoming, arguments: ["--once", "--trace", receiverTrace.path])
        defer { receiver.stop() }
        let proxy = try RunningProxy(to: receiver.address, arguments: ["--loss", "5%", "--delay", "2ms", "--seed", "5"])
        defer { proxy.stop() }
        let senderTrace = scratch.file("send.jsonl")
        let sent = try ProgramRunner.run("rudp-send", [scratch.file("payload.bin").path, proxy.address, "--protocol",
                                                       protocolName, "--window", "16", "--trace", senderTrace.path, "--json"])
        #expect(sent.status == 0, "stderr: \(sent.stderr)")
        #expect(receiver.waitForExit() == 0)
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(sent.stdout.utf8)) as? [String: Any])

        let events = try Self.lines(senderTrace)
        let start = try #require(events.first)
        #expect(start["event"] as? String == "start")
        #expect(start["role"] as? String == "sender")
        #expect(start["protocol"] as? String == protocolName)
        #expect(start["size"] as? Int == size)
        let times = try events.map { try #require($0["t"] as? Double) }
        #expect(times == times.sorted(), "events are written in time order")
        let packets = (size + 1199) / 1200
        let sends = events.filter { $0["event"] as? String == "send" }.compactMap { $0["index"] as? Int }
        #expect(sends == Array(0..<packets), "each packet's first transmission, in order")
        let retransmits = events.filter { $0["event"] as? String == "retransmit" }
        #expect(retransmits.count == summary["retransmissions"] as? Int, "one line per retransmission the summary counts")
        #expect(!retransmits.isEmpty, "5% loss forced retransmissions")
        let acks = events.filter { ["ack", "sack"].contains($0["event"] as? String) }.compactMap { $0["cumulative"] as? Int }
        #expect(!acks.isEmpty)
        // The FIN goes right behind the last packet, so its FIN-ACK may confirm the tail instead of an ACK.
        #expect(acks.allSatisfy { $0 <= packets } && acks.last! > packets - 16, "ACKs never run past the data: \(acks.suffix(3))")
        #expect(events.contains { $0["event"] as? String == "rto" && $0["rto_ms"] is Double })
        if protocolName == "sr" {
            #expect(events.contains { $0["event"] as? String == "sack" }, "Selective Repeat reports holes with SACK blocks")
        }

        let received = try Self.lines(receiverTrace)
        let connection = try #require(received.first?["conn"] as? Int)
        #expect(received.allSatisfy { $0["conn"] as? Int == connection }, "every line names its connection")
        #expect(received.first?["event"] as? String == "start" && received.first?["role"] as? String == "receiver")
        let arrivals = Set(received.filter { $0["event"] as? String == "receive" }.compactMap { $0["index"] as? Int })
        #expect(arrivals == Set(0..<packets))
        #expect(received.contains { $0["event"] as? String == "ack_sent" && $0["window"] is Int })

        let svg = scratch.file("graph.svg")
        let plotted = try ProgramRunner.run("rudp-lab", ["plot-trace", senderTrace.path, "--out", svg.path])
        #expect(plotted.status == 0, "stderr: \(plotted.stderr)")
        #expect(plotted.stdout.contains("\(packets) packets, \(retransmits.count) retransmission"))
        let document = try String(contentsOf: svg, encoding: .utf8)
        #expect(document.hasPrefix("<?xml") && document.contains("class=\"series retransmit\""))
        let receiverPlot = try ProgramRunner.run("rudp-lab", ["plot-trace", receiverTrace.path, "--quiet"])
        #expect(receiverPlot.status == 0, "stderr: \(receiverPlot.stderr)")
        #expect(FileManager.default.fileExists(atPath: scratch.file("recv.svg").path))
    }

    @Test func aRenoSendersTraceRecordsItsWindowAndPlotTraceDrawsIt() throws {
        let fixture = try ReceiverFixture(receiverArguments: ["--once"])
        defer { fixture.finish() }
        let original = try fixture.scratch.randomFile("payload.bin", size: 1_500_000)
        let proxy = try RunningProxy(to: fixture.receiver.address,
                                     arguments: ["--rate", "20mbit", "--queue", "30", "--delay", "5ms", "--loss", "1%", "--seed", "9"])
        defer { proxy.stop() }
        let trace = fixture.scratch.file("reno.jsonl")
        let sent = try ProgramRunner.run("rudp-send", [fixture.scratch.file("payload.bin").path, proxy.address, "--cc", "reno",
                                                       "--trace", trace.path, "--json"], timeout: 60)
        #expect(sent.status == 0, "stderr: \(sent.stderr)")
        #expect(fixture.receiver.waitForExit() == 0)
        #expect(try fixture.received("payload.bin") == original)

        let events = try Self.lines(trace)
        let windows = events.filter { $0["event"] as? String == "cwnd" }
        let first = try #require(windows.first)
        #expect(first["cause"] as? String == "start" && first["cwnd"] as? Int == 12_000 && first["mss"] as? Int == 1_200,
                "NewReno starts at ten packets: \(first)")
        #expect(first["phase"] as? String == "slow_start" && first["pacing_mbps"] is NSNull && first["ssthresh"] is NSNull)
        #expect(windows.allSatisfy { $0["cwnd"] is Int && $0["in_flight"] is Int && $0["phase"] is String })
        let reductions = windows.filter { $0["cause"] as? String == "loss" }
        #expect(!reductions.isEmpty, "1% loss and a 30-packet queue made NewReno reduce its window")
        #expect(reductions.allSatisfy { $0["phase"] as? String == "recovery" && $0["ssthresh"] as? Int == $0["cwnd"] as? Int })
        let acks = events.filter { ["ack", "sack"].contains($0["event"] as? String) }.count
        #expect(windows.count <= acks / 4 + 2 * reductions.count + 16, "\(windows.count) cwnd lines for \(acks) ACKs: sampled")

        let svg = fixture.scratch.file("reno.svg")
        let plotted = try ProgramRunner.run("rudp-lab", ["plot-trace", trace.path, "--out", svg.path])
        #expect(plotted.status == 0, "stderr: \(plotted.stderr)")
        let document = try String(contentsOf: svg, encoding: .utf8)
        #expect(document.contains("class=\"series cwnd\"") && document.contains("class=\"series cwnd-loss\""))
    }

    @Test func traceIsRefusedForTCPAndAnUnwritablePathFailsBeforeSending() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        try scratch.randomFile("payload.bin", size: 1_000)
        let tcp = try ProgramRunner.run("rudp-send", [scratch.file("payload.bin").path, "127.0.0.1:9", "--protocol", "tcp",
                                                      "--trace", scratch.file("t.jsonl").path])
        #expect(tcp.status == 2)
        #expect(tcp.stderr.contains("--trace records RUDP protocol events"), "stderr: \(tcp.stderr)")
        let unwritable = try ProgramRunner.run("rudp-send", [scratch.file("payload.bin").path, "127.0.0.1:9",
                                                             "--trace", scratch.file("no/such/dir/t.jsonl").path])
        #expect(unwritable.status == 1)
        #expect(unwritable.stderr.contains("cannot create trace file"), "stderr: \(unwritable.stderr)")
        #expect(unwritable.stderr.split(separator: "\n").count == 1)
    }
}
