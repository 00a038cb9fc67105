#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CLIKit
import Foundation
import Impairment
import Testing

@testable import ProxyKit

/// How many of `packets` have a comment containing `words`.
private func count(_ packets: [PcapngReader.Packet], _ words: String) -> Int {
    packets.filter { $0.comment?.contains(words) == true }.count
}

/// `lossproxy link --pcap`: the link writes every IP packet as read (interface 0) and as
/// written (interface 1), raw, each with the comment of its fate, counted as the statistics count.
@Suite("TUN link capture")
struct LinkCaptureTests {
    private func udpPacket(_ number: Int, size: Int = 120) -> [UInt8] {
        var payload = TestPackets.payload(size)
        payload[0] = UInt8(number & 0xFF)
        payload[1] = UInt8(number >> 8)
        return TestPackets.ipv4(protocol: 17, transport: TestPackets.udp(payload: payload))
    }

    @Test("Every packet is captured raw before and after impairment, its comment agreeing with the statistics")
    func relayCaptureMatchesStatistics() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("link-capture-\(UUID().uuidString).pcapng").path
        defer { unlink(path) }
        var forwardConfig = ImpairmentConfig()
        forwardConfig.loss = 0.2
        forwardConfig.duplicate = 0.1
        forwardConfig.delay = 2_000_000
        var reverseConfig = ImpairmentConfig()
        reverseConfig.scriptedDrops = [3...4]
        let link = try RunningLinkRelay(forward: forwardConfig, reverse: reverseConfig, seed: 11, capturePath: path)
        let forward = (0..<300).map { udpPacket($0) }
        let reverse = (0..<40).map { udpPacket(1_000 + $0, size: 60) }
        for packet in forward { link.send(packet, from: link.sideA) }
        for packet in reverse { link.send(packet, from: link.sideB) }
        let arrivedAtB = link.drain(link.sideB)
        let arrivedAtA = link.drain(link.sideA)
        let statistics = try #require(try link.stop()?.get())

        let file = try PcapngReader(contentsOf: URL(fileURLWithPath: path))
        #expect(file.interfaces.count == 2 && file.interfaces.allSatisfy { $0.linkType == 101 })
        #expect(file.interfaces[0].option(3)?.text == "test link: as received, before impairment")
        let before = file.packets.filter { $0.interfaceID == 0 }
        let after = file.packets.filter { $0.interfaceID == 1 }
        #expect(before.allSatisfy { $0.flags == 1 } && after.allSatisfy { $0.flags == 2 })
        let (forwardIn, reverseIn) = (before.filter { $0.comment?.hasPrefix("forward #") == true },
                                      before.filter { $0.comment?.hasPrefix("reverse #") == true })
        let (forwardOut, reverseOut) = (after.filter { $0.comment?.hasPrefix("forward #") == true },
                                        after.filter { $0.comment?.hasPrefix("reverse #") == true })
        #expect(forwardIn.count + reverseIn.count == before.count && forwardOut.count + reverseOut.count == after.count,
                "every comment names its direction")

        // The packets themselves, as read and as written: IP packets with no header added.
        #expect(forwardIn.map(\.data) == forward)
        #expect(reverseIn.map(\.data) == reverse)
        #expect(forwardOut.map(\.data) == arrivedAtB)
        #expect(reverseOut.map(\.data) == arrivedAtA)

        // The counts, against the link's own statistics.
        let (f, r) = (statistics.forward, statistics.reverse)
        #expect(forwardIn.count == f.received && reverseIn.count == r.received)
        #expect(forwardOut.count == f.sent + f.sendFailed && reverseOut.count == r.sent + r.sendFailed)
        #expect(count(forwardIn, "dropped by loss") == f.impairment.droppedLoss)
        #expect(f.impairment.droppedLoss > 30, "20% of 300 lost: \(f.impairment.droppedLoss)")
        #expect(count(forwardIn, "duplicated") == f.impairment.duplicated)
        #expect(count(forwardOut, "duplicate copy") == f.impairment.duplicated)
        #expect(count(forwardOut, "delayed 2.0 ms") + count(forwardOut, "delayed 2.1 ms") + count(forwardOut, "delayed 2.2 ms")
                    >= forwardOut.count - 5, "each held about 2 ms")
        #expect(count(reverseIn, "dropped by scripted drop") == 2 && r.impairment.droppedScripted == 2)
        #expect(count(reverseOut, "unchanged") == reverseOut.count)
        // An "in" and an "out" comment of one packet share its number.
        let numbers = Set(forwardIn.compactMap { $0.comment?.split(separator: " ")[1] })
        #expect(numbers.count == forwardIn.count, "one number per packet read")
        #expect(forwardOut.allSatisfy { numbers.contains($0.comment!.split(separator: " ")[1]) })
        // Timestamps are wall-clock nanoseconds and a packet leaves no earlier than it came.
        let now = UInt64(Date().timeIntervalSince1970 * 1e9)
        #expect(file.packets.allSatisfy { $0.timestamp > now - 60_000_000_000 && $0.timestamp <= now })
        #expect(forwardOut.first!.timestamp >= forwardIn.first!.timestamp + 2_000_000)
    }

    @Test("lossproxy link --pcap with --loss: the capture counts what the link's JSON statistics count",
          .enabled(if: LinkTestSupport.canRun, LinkTestSupport.skipReason))
    func linkProcessCapture() throws {
        let (a, b) = (LinkTestSupport.uniqueNamespace("pcap-a"), LinkTestSupport.uniqueNamespace("pcap-b"))
        defer { LinkTestSupport.removeNamespaces([a, b]) }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("link-pcap-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let original = Data((0..<200_000).map { _ in UInt8.random(in: 0...255) })
        let source = directory.appendingPathComponent("source.bin")
        try original.write(to: source)
        let capture = directory.appendingPathComponent("link.pcapng")

        let link = try RunningLink(a, b, ["--loss", "10%", "--delay", "2ms", "--seed", "3", "--json", "--pcap", capture.path])
        let receiver = try LinkTestSupport.startIn(
            b, LinkTestSupport.program("rudp-recv"), ["--listen", "10.77.0.2:9000", "--out", directory.path, "--once"])
        try #require(receiver.waitFor(timeout: 10) { _, stderr in stderr.contains("listening on") },
                     "rudp-recv did not start: \(receiver.stderr)")
        let sender = try LinkTestSupport.startIn(
            a, LinkTestSupport.program("rudp-send"), [source.path, "10.77.0.2:9000", "--name", "copy.bin", "--quiet"])
        let sent = sender.finish(timeout: 30)
        _ = receiver.finish(timeout: 10)
        let stopped = link.stop()
        #expect(sent.status == 0, "\(sent.stderr)")
        #expect(try Data(contentsOf: directory.appendingPathComponent("copy.bin")) == original)
        let final = try #require(stopped.stdout.split(separator: "\n").last.flatMap { try? JSONValue(parsing: String($0)) })
        #expect(final["final"]?.boolValue == true)

        let file = try PcapngReader(contentsOf: capture)
        #expect(file.section.options.first?.text == "lossproxy")
        #expect(file.interfaces[0].option(3)?.text.hasPrefix("lossproxy link \(a) 10.77.0.1/24 <-> \(b) 10.77.0.2/24") == true)
        for (name, prefix) in [("forward", "forward #"), ("reverse", "reverse #")] {
            let statistics = try #require(final[name])
            let before = file.packets.filter { $0.interfaceID == 0 && $0.comment?.hasPrefix(prefix) == true }
            let after = file.packets.filter { $0.interfaceID == 1 && $0.comment?.hasPrefix(prefix) == true }
            let loss = try #require(statistics["dropped_by"]?["loss"]?.intValue)
            #expect(before.count == statistics["in"]?.intValue, "\(name) in")
            #expect(after.count == (statistics["out"]?.intValue ?? 0) + (statistics["dropped_by"]?["send_failed"]?.intValue ?? 0),
                    "\(name) out")
            #expect(count(before, "dropped by loss") == loss, "\(name) lost")
            // 167 DATA packets at least one way, their acknowledgements the other; 10% lost of each.
            #expect(before.count > 20 && loss > 0, "\(name): \(before.count) packets, \(loss) lost")
            // Raw IPv4 between the two sides: each frame is one whole packet, its own total length.
            let (from, to): ([UInt8], [UInt8]) = name == "forward" ? ([10, 77, 0, 1], [10, 77, 0, 2]) : ([10, 77, 0, 2], [10, 77, 0, 1])
            for packet in before + after {
                #expect(packet.data[0] == 0x45 && Int(packet.data[2]) << 8 | Int(packet.data[3]) == packet.data.count)
                #expect(Array(packet.data[12..<16]) == from && Array(packet.data[16..<20]) == to)
            }
        }
        #expect(file.packets.count == file.packets.filter { $0.comment != nil }.count)

        // tshark, where installed, decodes the raw packets as IP and shows the same comments.
        guard let tshark = tsharkExecutable else { return }
        // The outer header's source only (occurrence=f): an ICMP error, such as the port unreachable
        // for a closing ACK that reached a --once receiver just gone, quotes the packet it answers,
        // and tshark would list that inner source too ("10.77.0.2,10.77.0.1").
        let read = try RunningProgram(tshark, ["-r", capture.path, "-T", "fields", "-E", "occurrence=f",
                                               "-e", "frame.interface_id", "-e", "ip.src", "-e", "frame.comment"]).finish(timeout: 30)
        let rows = read.stdout.split(separator: "\n").map { $0.split(separator: "\t", omittingEmptySubsequences: false) }
        #expect(rows.count == file.packets.count, "\(read.stderr)")
        #expect(rows.filter { $0.count == 3 && $0[2].contains("dropped by loss") }.count
                    == file.packets.filter { $0.comment?.contains("dropped by loss") == true }.count)
        #expect(rows.allSatisfy { $0.count == 3 && ($0[1] == "10.77.0.1" || $0[1] == "10.77.0.2") }, "\(rows.prefix(3))")
    }
}
