import Impairment
import Testing

/// `ImpairmentPipeline.reconfigure(_:now:)`, netem's `tc qdisc change`: new impairments for
/// what comes next, while everything held keeps its release time.
@Suite struct ReconfigureTests {
    let millisecond: UInt64 = 1_000_000

    private func submit(_ pipeline: ImpairmentPipeline, tag: UInt64, now: UInt64) {
        [UInt8](repeating: UInt8(truncatingIfNeeded: tag), count: 100).withUnsafeBytes {
            pipeline.submit($0, tag: tag, now: now)
        }
    }

    private func drain(_ pipeline: ImpairmentPipeline) -> [(tag: UInt64, time: UInt64)] {
        var out: [(tag: UInt64, time: UInt64)] = []
        while let due = pipeline.nextReleaseTime {
            pipeline.releaseDue(now: due) { _, tag in out.append((tag, due)) }
        }
        return out
    }

    @Test func heldDatagramsKeepTheirDelayAndNewOnesTakeTheNewOne() {
        let pipeline = ImpairmentPipeline(config: config { $0.delay = 200 * millisecond }, seed: 1)
        for tag in 1...5 { submit(pipeline, tag: UInt64(tag), now: UInt64(tag) * millisecond) }
        pipeline.reconfigure(config { $0.delay = 10 * millisecond }, now: 10 * millisecond)
        for tag in 6...10 { submit(pipeline, tag: UInt64(tag), now: UInt64(tag + 5) * millisecond) }
        let out = drain(pipeline)
        // The new ones, 10 ms late, overtake the old ones still on their 200 ms.
        #expect(out.map(\.tag) == [6, 7, 8, 9, 10, 1, 2, 3, 4, 5])
        #expect(out.allSatisfy { $0.time == ($0.tag <= 5 ? ($0.tag + 200) : ($0.tag + 15)) * millisecond })
        #expect(pipeline.stats.received == 10 && pipeline.stats.delivered == 10)
        #expect(pipeline.generation == 1 && pipeline.config.delay == 10 * millisecond)
    }

    @Test func lossSwitchedOnDropsEverythingAfterAndCountersCarryOver() {
        let pipeline = ImpairmentPipeline(config: .none, seed: 1)
        for tag in 1...10 { submit(pipeline, tag: UInt64(tag), now: UInt64(tag)) }
        pipeline.reconfigure(config { $0.loss = 1 }, now: 100)
        for tag in 11...20 { submit(pipeline, tag: UInt64(tag), now: UInt64(tag) * 10) }
        #expect(drain(pipeline).map(\.tag) == Array(1...10))
        #expect(pipeline.stats.received == 20 && pipeline.stats.droppedLoss == 10)
        pipeline.reconfigure(.none, now: 1_000)
        submit(pipeline, tag: 21, now: 1_000)
        #expect(drain(pipeline).map(\.tag) == [21])
    }

    @Test func aQueuedBacklogIsNotOvertakenWhenTheRateRises() {
        // 10 datagrams of 125 bytes at 1 Mbit/s: 1 ms each. Raising the rate to 100 Mbit/s at
        // 2 ms leaves those queued on their departures; the next starts after the last of them.
        let pipeline = ImpairmentPipeline(config: config { $0.rate = 1_000_000 }, seed: 1)
        for tag in 1...10 { submit125(pipeline, tag: UInt64(tag), now: 0) }
        pipeline.reconfigure(config { $0.rate = 100_000_000 }, now: 2 * millisecond)
        submit125(pipeline, tag: 11, now: 2 * millisecond)
        let out = drain(pipeline)
        #expect(out.map(\.tag) == Array(1...11))
        #expect(out.last!.time == 10 * millisecond + 10_000)
    }

    private func submit125(_ pipeline: ImpairmentPipeline, tag: UInt64, now: UInt64) {
        [UInt8](repeating: 0, count: 125).withUnsafeBytes { pipeline.submit($0, tag: tag, now: now) }
    }

    @Test func theSameChangesGiveTheSameOutput() {
        func run() -> [UInt64] {
            let pipeline = ImpairmentPipeline(config: config { $0.loss = 0.3 }, seed: 77)
            var kept: [UInt64] = []
            for tag in 1...2000 {
                if tag == 1000 { pipeline.reconfigure(config { $0.loss = 0.1; $0.jitter = 1_000 }, now: UInt64(tag) * 10_000) }
                submit(pipeline, tag: UInt64(tag), now: UInt64(tag) * 10_000)
            }
            kept = drain(pipeline).map(\.tag)
            return kept
        }
        let first = run()
        #expect(first == run())
        let late = first.filter { $0 >= 1000 }.count
        #expect(isWithin(Double(late), of: 1001 * 0.9, sigma: binomialSigma(trials: 1001, p: 0.1)))
    }
}
