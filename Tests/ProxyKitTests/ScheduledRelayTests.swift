#if canImport(Glibc)
import Glibc
#endif
import CLIKit
import Foundation
import Impairment
import ImpairmentCLI
import SystemKit
import Synchronization
import Testing

@testable import ProxyKit

/// `lossproxy --schedule`: impairments that change while the relay runs, each change recorded
/// in the statistics with its time.
@Suite(.serialized) struct ScheduledRelayTests {
    /// A schedule file in a fresh temporary directory, removed by `remove()`.
    struct ScheduleFile {
        let directory: URL
        var path: String { directory.appendingPathComponent("schedule.txt").path }

        init(_ text: String) throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("netem-schedule-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try write(text)
        }

        func write(_ text: String) throws { try text.write(toFile: path, atomically: true, encoding: .utf8) }
        func remove() { try? FileManager.default.removeItem(at: directory) }
    }

    @Test func aScheduleForwardsThenDropsEverythingAndReportsWhen() throws {
        let file = try ScheduleFile("# forward for a second, then nothing\n0s loss 0%\n1s loss 100%\n")
        defer { file.remove() }
        let schedule = try ImpairmentScheduleFile(path: file.path, program: "lossproxy", baseForward: .none, baseReverse: .none)
        let server = try Endpoint(), client = try Endpoint()
        let relay = try UDPRelay(UDPRelay.Configuration(listenAddress: .loopback(.ipv4, port: 0), serverAddress: server.address))
        relay.impairmentSchedule = ScheduledImpairments(file: schedule)
        let stopSwitch = try StopSwitch()
        let outcome = Mutex<RelayStatistics?>(nil)
        let done = DispatchSemaphore(value: 0)
        Thread {
            let result = try? relay.run(stopWhenReadable: stopSwitch.fileDescriptor)
            outcome.withLock { $0 = result }
            done.signal()
        }.start()

        // One probe every 50 ms for 2 s; each carries its send time.
        let receiver = BackgroundReceiver(server, quiet: 1.5)
        let start = MonotonicClock.now()
        for number in 1...40 {
            try client.send(probe(number: UInt32(number)), to: relay.localAddress)
            pause(0.05)
        }
        let arrivals = receiver.finish()
        stopSwitch.stop()
        guard done.wait(timeout: .now() + 10) == .success else {
            Issue.record("the relay did not stop within 10 s")
            return
        }
        let stats = try #require(outcome.withLock { $0 })

        // Sent well before 1 s: forwarded; sent well after: all lost (±100 ms for scheduling).
        let sentAt = arrivals.map { Double(readProbe($0.bytes).sentAt &- start) / 1e9 }
        #expect(!sentAt.isEmpty && sentAt.allSatisfy { $0 < 1.1 }, "forwarded probes sent at \(sentAt)")
        #expect(arrivals.count >= 16, "\(arrivals.count) of the ~20 probes of the first second arrived")
        #expect(stats.forward.received == 40)
        #expect(stats.forward.impairment.droppedLoss >= 16 && stats.forward.impairment.droppedLoss <= 24)

        let records = try #require(stats.impairmentChanges)
        #expect(records.map(\.scheduledAt) == [0, 1_000_000_000])
        #expect(records.map(\.text) == ["loss 0%", "loss 100%"])
        #expect(records[1].appliedAt >= 1_000_000_000 && records[1].appliedAt < 1_100_000_000)
        let json = stats.json.jsonText
        #expect(json.contains(#""impairment_changes":[{"at_s":0"#), "\(json)")
        #expect(json.contains(#""at_s":1,"#) || json.contains(#""at_s":1.0,"#), "\(json)")
        #expect(json.contains(#""change":"loss 100%","cause":"schedule""#))
    }

    @Test func aReloadRereadsTheFileAndAppliesWhatIsDueNow() throws {
        let file = try ScheduleFile("0s delay 10ms\n")
        defer { file.remove() }
        let schedule = try ImpairmentScheduleFile(path: file.path, program: "lossproxy", baseForward: .none, baseReverse: .none)
        let scheduled = ScheduledImpairments(file: schedule)
        let link = ImpairedLink(both: .none, seed: 1)
        let start: UInt64 = 1_000_000_000
        scheduled.applyDue(to: link, now: start, start: start)
        #expect(link.forward.config.delay == 10_000_000)
        #expect(scheduled.earliest(nil, start: start, now: start) == nil)

        try file.write("0s delay 10ms\n5s loss 50%\n30s loss 1%\n")
        scheduled.reload(link: link, now: start + 2_000_000_000, start: start)
        // Due at 2 s: still the 0 s line (over the command line's nothing: no loss yet).
        #expect(link.forward.config.delay == 10_000_000 && link.forward.config.loss == 0)
        #expect(scheduled.earliest(nil, start: start, now: start + 2_000_000_000) == start + 5_000_000_000)
        scheduled.applyDue(to: link, now: start + 5_000_000_000, start: start)
        // Each line applies over the command line, not over the line before: the delay is gone.
        #expect(link.forward.config.loss == 0.5 && link.forward.config.delay == 0)
        #expect(scheduled.records.map(\.cause) == ["schedule", "reload", "schedule"])

        try file.write("0s loss lots\n")
        scheduled.reload(link: link, now: start + 6_000_000_000, start: start)
        #expect(link.forward.config.loss == 0.5, "a broken file is ignored")
        #expect(scheduled.records.count == 3)
    }
}

/// The TUN link's data path follows a schedule too (socket pairs stand in for the devices).
@Suite(.serialized) struct ScheduledLinkTests {
    private func packetPair() throws -> (Int32, Int32) {
        var ends: [Int32] = [-1, -1]
        #if canImport(Glibc)
        let type = Int32(SOCK_SEQPACKET.rawValue)
        #else
        let type = SOCK_SEQPACKET
        #endif
        guard socketpair(AF_UNIX, type, 0, &ends) == 0 else { throw SystemError(errno: errno, call: "socketpair") }
        // The relay's end is non-blocking, as a TUN descriptor the link opens.
        _ = fcntl(ends[1], F_SETFL, fcntl(ends[1], F_GETFL) | O_NONBLOCK)
        return (ends[0], ends[1])
    }

    @Test func theLinkAppliesEachChangeAtItsTime() throws {
        let (testA, relayA) = try packetPair()
        let (testB, relayB) = try packetPair()
        defer { for fd in [testA, relayA, testB, relayB] { close(fd) } }
        let relay = LinkRelay(a: relayA, b: relayB, labelA: "side A", labelB: "side B",
                              forward: .none, reverse: .none, seed: 1)
        var lossy = ImpairmentConfig()
        lossy.loss = 1
        relay.impairmentSchedule = ScheduledImpairments(ImpairmentSchedule(
            baseForward: .none, baseReverse: .none,
            changes: [.init(at: 500_000_000, forward: lossy, reverse: .none, text: "forward-loss 100%")]))
        let stopSwitch = try StopSwitch()
        let outcome = Mutex<LinkStatistics?>(nil)
        let done = DispatchSemaphore(value: 0)
        Thread {
            let result = try? relay.run(stopWhenReadable: stopSwitch.fileDescriptor)
            outcome.withLock { $0 = result }
            done.signal()
        }.start()

        var arrived: [Int] = []
        let start = MonotonicClock.now()
        for number in 0..<20 {
            let packet = [UInt8](repeating: UInt8(number), count: 60)
            _ = packet.withUnsafeBytes { write(testA, $0.baseAddress, $0.count) }
            var entry = pollfd(fd: testB, events: Int16(POLLIN), revents: 0)
            if poll(&entry, 1, 40) == 1 {
                var buffer = [UInt8](repeating: 0, count: 2048)
                if buffer.withUnsafeMutableBytes({ read(testB, $0.baseAddress, $0.count) }) > 0 { arrived.append(Int(buffer[0])) }
            }
            let next = start + UInt64(number + 1) * 50_000_000
            let now = MonotonicClock.now()
            if next > now { usleep(UInt32((next - now) / 1000)) }
        }
        stopSwitch.stop()
        guard done.wait(timeout: .now() + 10) == .success else {
            Issue.record("the link did not stop within 10 s")
            return
        }
        let stats = try #require(outcome.withLock { $0 })
        // Packets written in the first half second cross (0...9, allowing one either side of
        // the change); none after.
        #expect(arrived.count >= 8 && arrived.count <= 11, "\(arrived)")
        #expect(arrived == Array(0..<arrived.count))
        #expect(stats.forward.impairment.droppedLoss == 20 - arrived.count)
        #expect(stats.impairmentChanges?.map(\.scheduledAt) == [500_000_000])
        #expect(stats.json.jsonText.contains(#""change":"forward-loss 100%""#))
    }
}
