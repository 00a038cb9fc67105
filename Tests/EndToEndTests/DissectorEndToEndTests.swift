#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing

/// `tools/wireshark/rudp.lua` read by the real tshark: a lossy transfer's capture dissects into
/// exactly the packets the sender's `--trace` recorded, and the proxy's comments into its
/// statistics; a GSO super-frame splits into its packets; a corrupted packet is flagged.
@Suite(.serialized, .enabled(if: tsharkPath != nil, "needs tshark (apt-get install tshark)"))
struct DissectorEndToEndTests {
    /// The sender's trace: each DATA transmission's packet index in order, the retransmissions'
    /// indices, and each ACK it processed as (cumulative index, SACK blocks).
    struct SenderTrace {
        var transmissions: [Int] = []
        var retransmissions: [Int] = []
        var acknowledgements: [Acknowledgement] = []

        struct Acknowledgement: Equatable, CustomStringConvertible {
            var cumulative: Int
            var sackBlocks: Int
            var description: String { "(\(cumulative), \(sackBlocks))" }
        }

        init(_ url: URL) throws {
            for event in try TraceEndToEndTests.lines(url) {
                switch event["event"] as? String {
                case "send": transmissions.append(try #require(event["index"] as? Int))
                case "retransmit":
                    transmissions.append(try #require(event["index"] as? Int))
                    retransmissions.append(try #require(event["index"] as? Int))
                case "ack", "sack":
                    acknowledgements.append(Acknowledgement(cumulative: try #require(event["cumulative"] as? Int),
                                                            sackBlocks: try #require(event["sack_blocks"] as? Int)))
                default: break
                }
            }
        }
    }

    /// A DATA packet's index: its distance from ISN + 1 (docs/PROTOCOL.md §2), wrapping.
    static func index(of sequence: UInt32, isn: UInt32) -> Int { Int(sequence &- (isn &+ 1)) }

    @Test func aLossyTransfersCaptureHoldsExactlyThePacketsTheSendersTraceRecorded() throws {
        let fixture = try ReceiverFixture(receiverArguments: ["--once", "--no-gso"])
        defer { fixture.finish() }
        try fixture.scratch.randomFile("payload.bin", size: 300_000)
        let capture = fixture.scratch.file("lossy.pcapng")
        let proxy = try RunningProxy(to: fixture.receiver.address,
                                     arguments: ["--loss", "5%", "--seed", "7", "--pcap", capture.path, "--json"])
        defer { proxy.stop() }
        let traceFile = fixture.scratch.file("send.jsonl")
        let sent = try ProgramRunner.run("rudp-send", [fixture.scratch.file("payload.bin").path, proxy.address,
                                                       "--trace", traceFile.path, "--no-gso", "--json"])
        #expect(sent.status == 0, "stderr: \(sent.stderr)")
        #expect(fixture.receiver.waitForExit() == 0)
        let statistics = try #require(proxy.stopAndReadFinalReport(), "no final report: \(proxy.stderr.text())")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(sent.stdout.utf8)) as? [String: Any])
        let trace = try SenderTrace(traceFile)
        let frames = try Dissector.frames(of: capture)

        // Every datagram (no GSO anywhere) is one RUDP packet, found by the heuristic alone.
        #expect(!frames.isEmpty)
        let unclaimed = frames.filter { $0.packets.count != 1 }.map(\.number)
        #expect(unclaimed.isEmpty, "frames not dissected as one RUDP packet: \(unclaimed.prefix(10))")
        #expect(frames.allSatisfy { $0.crcStatuses == [1] }, "nothing was corrupted")
        let claimed = frames.filter { $0.packets.count == 1 }

        // The sender's side of the proxy, "before" impairment: everything the sender sent.
        let syn = try #require(claimed.first { $0.interface == 0 && $0.packets[0].type == WireType.syn })
        let (senderPort, isn) = (syn.sourcePort, syn.packets[0].sequence)
        #expect(syn.info.hasPrefix("SYN sr mss=1200 win="), "\(syn.info)")
        let dataSent = claimed.filter { $0.interface == 0 && $0.sourcePort == senderPort && $0.packets[0].type == WireType.data }
        let indices = dataSent.map { Self.index(of: $0.packets[0].sequence, isn: isn) }
        #expect(indices.count == trace.transmissions.count,
                "tshark: \(indices.count) DATA packets; trace: \(trace.transmissions.count) sends and retransmits")
        #expect(indices == trace.transmissions, "the DATA packets' sequence numbers, in order, are the trace's")
        #expect(dataSent.flatMap(\.indices) == trace.transmissions, "the dissector's rudp.index counts as the trace does")
        var seen = Set<Int>()
        let resent = indices.filter { !seen.insert($0).inserted }
        #expect(resent == trace.retransmissions && resent.count == summary["retransmissions"] as? Int,
                "retransmissions: tshark \(resent.count), trace \(trace.retransmissions.count), summary \(summary["retransmissions"] ?? "?")")
        #expect(!resent.isEmpty, "5% loss forced retransmissions")
        #expect(dataSent.allSatisfy { $0.info == "DATA seq=\($0.packets[0].sequence) len=\($0.packets[0].payloadLength)"
                    || $0.info.hasSuffix(" ACK-NOW") }, "the info column reads DATA seq=… len=…")
        #expect(dataSent.contains { $0.comment.contains("dropped by loss") }, "the proxy dropped DATA")

        // The sender's side "after" impairment: the ACKs it received, from its SYN-ACK to its
        // FIN-ACK (the trace's "ack" and "sack" events are the ACKs it processed while transferring).
        let toSender = claimed.filter { $0.interface == 1 && $0.destinationPort == senderPort }
        let established = try #require(toSender.firstIndex { $0.packets[0].type == WireType.synAck })
        let finished = toSender.firstIndex { $0.packets[0].type == WireType.finAck } ?? toSender.endIndex
        let acks = toSender[established..<finished].filter { $0.packets[0].type == WireType.ack }
        let received = acks.map {
            SenderTrace.Acknowledgement(cumulative: Self.index(of: $0.packets[0].acknowledgement, isn: isn),
                                        sackBlocks: $0.packets[0].sackCount)
        }
        #expect(received.count == trace.acknowledgements.count,
                "tshark: \(received.count) ACKs to the sender; trace: \(trace.acknowledgements.count)")
        #expect(received == trace.acknowledgements, "each ACK's cumulative index and SACK count, in order")
        #expect(acks.flatMap(\.acknowledgedIndices) == trace.acknowledgements.map(\.cumulative), "rudp.ack_index")
        #expect(acks.contains { $0.packets[0].sackCount > 0 }, "Selective Repeat reported holes with SACK blocks")
        #expect(acks.allSatisfy {
            $0.info.hasPrefix("ACK ack=\($0.packets[0].acknowledgement) win=\($0.packets[0].window)")
                && ($0.packets[0].sackCount == 0) != $0.info.hasSuffix(" SACK \($0.packets[0].sackCount)")
        }, "the info column reads ACK ack=… win=… SACK n")

        try expectCommentsMatch(frames, statistics)
    }

    /// The pcapng comments counted as docs/CAPTURE.md says, against the proxy's final report.
    private func expectCommentsMatch(_ frames: [DissectedFrame], _ statistics: [String: Any]) throws {
        for direction in ["forward", "reverse"] {
            let counts = try #require(statistics[direction] as? [String: Any])
            let droppedBy = try #require(counts["dropped_by"] as? [String: Any])
            let ours = frames.filter { $0.comment.hasPrefix("\(direction) #") }
            let arrived = ours.filter { $0.interface == 0 }, released = ours.filter { $0.interface == 1 }
            #expect(arrived.count == counts["in"] as? Int, "\(direction): \(arrived.count) in comments, statistics \(counts["in"] ?? "?")")
            #expect(released.count == (counts["out"] as? Int ?? -1) + (droppedBy["send_failed"] as? Int ?? 0))
            let lost = arrived.filter { $0.comment.contains("dropped by loss") }.count
            #expect(lost == droppedBy["loss"] as? Int, "\(direction): \(lost) lost in comments, statistics \(droppedBy["loss"] ?? "?")")
            #expect(arrived.count - lost == arrived.filter { $0.comment.hasSuffix("passed at once") }.count)
        }
    }

    @Test(.enabled(if: geteuid() == 0, "needs root to capture on loopback"))
    func aGSOSuperFrameSplitsIntoAsManyPacketsAsTheSenderSent() throws {
        let fixture = try ReceiverFixture(receiverArguments: ["--once"])
        defer { fixture.finish() }
        try fixture.scratch.randomFile("payload.bin", size: 300_000)
        let capture = fixture.scratch.file("lo.pcapng")
        let recorder = try LoopbackRecorder(port: fixture.receiver.port, into: capture)
        defer { recorder.stop() }
        let traceFile = fixture.scratch.file("send.jsonl")
        let sent = try ProgramRunner.run("rudp-send", [fixture.scratch.file("payload.bin").path, fixture.receiver.address,
                                                       "--cc", "none", "--trace", traceFile.path, "--json"])
        #expect(sent.status == 0, "stderr: \(sent.stderr)")
        #expect(fixture.receiver.waitForExit() == 0)
        recorder.stop()
        let trace = try SenderTrace(traceFile)

        let frames = try Dissector.frames(of: capture, filter: "udp.dstport == \(fixture.receiver.port)")
        let syn = try #require(frames.first { $0.packets.first?.type == WireType.syn })
        let data = frames.flatMap(\.packets).filter { $0.type == WireType.data }
        #expect(data.count == trace.transmissions.count,
                "tshark: \(data.count) DATA packets in \(frames.count) frames; trace: \(trace.transmissions.count)")
        #expect(data.map { Self.index(of: $0.sequence, isn: syn.packets[0].sequence) } == trace.transmissions)
        let superFrames = frames.filter { $0.packets.count > 1 }
        #expect(superFrames.count >= 2 && superFrames.map(\.packets.count).max() ?? 0 > 10,
                "GSO put runs of packets in one frame: \(superFrames.map(\.packets.count))")
        let misread = superFrames.filter { !$0.info.hasPrefix("\($0.packets.count) packets: ") }
        #expect(misread.isEmpty, "the info column names each packet: \(misread.map { $0.info.prefix(80) })")
        #expect(frames.allSatisfy { $0.crcStatuses == Array(repeating: 1, count: $0.packets.count) }, "every packet's CRC checked good")
    }

    @Test func aCorruptedPacketIsFlaggedBadAndEveryOtherGood() throws {
        let fixture = try ReceiverFixture(receiverArguments: ["--once", "--no-gso"])
        defer { fixture.finish() }
        try fixture.scratch.randomFile("payload.bin", size: 200_000)
        let capture = fixture.scratch.file("corrupt.pcapng")
        let proxy = try RunningProxy(to: fixture.receiver.address,
                                     arguments: ["--corrupt", "3%", "--seed", "4", "--pcap", capture.path, "--json"])
        defer { proxy.stop() }
        let sent = try ProgramRunner.run("rudp-send", [fixture.scratch.file("payload.bin").path, proxy.address, "--no-gso"])
        #expect(sent.status == 0, "stderr: \(sent.stderr)")
        #expect(fixture.receiver.waitForExit() == 0)
        let statistics = try #require(proxy.stopAndReadFinalReport())
        let corruptedCount = ["forward", "reverse"].map { (statistics[$0] as? [String: Any])?["corrupted"] as? Int ?? 0 }.reduce(0, +)

        let frames = try Dissector.frames(of: capture)
        let corrupted = frames.filter { $0.interface == 1 && $0.comment.contains("corrupted bit") }
        #expect(corrupted.count == corruptedCount && corruptedCount > 0, "\(corrupted.count) corrupted in the capture, \(corruptedCount) counted")
        // A flipped length bit may split the datagram differently; no piece of it may pass.
        #expect(corrupted.allSatisfy { $0.crcStatuses.contains(0) && !$0.crcStatuses.contains(1) && $0.info.contains("[BAD CRC]") },
                "\(corrupted.filter { $0.crcStatuses.contains(1) || !$0.info.contains("[BAD CRC]") }.map(\.comment))")
        let intact = frames.filter { !($0.interface == 1 && $0.comment.contains("corrupted bit")) }
        #expect(intact.allSatisfy { $0.crcStatuses == [1] }, "\(intact.filter { $0.crcStatuses != [1] }.map(\.number).prefix(5))")
        // The expert info says so too: filtering on it finds exactly the corrupted frames.
        let flagged = try Dissector.tshark(["-r", capture.path, "-Y", "rudp.crc.bad", "-T", "fields", "-e", "frame.number"])
        #expect(flagged.compactMap { Int($0) } == corrupted.map(\.number))
    }
}
