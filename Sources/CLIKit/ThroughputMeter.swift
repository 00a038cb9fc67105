/// The recent transfer rate from a running byte count: bytes over roughly the last `window`
/// nanoseconds, so the progress display follows changes instead of the whole-transfer average.
///
/// Keeps a fixed ring of samples taken at most every `window / 10`; `record` may be called per
/// packet and never allocates.
public struct ThroughputMeter {
    private struct Sample {
        var time: UInt64
        var bytes: UInt64
    }

    private let sampleSpacing: UInt64
    private var samples: [Sample]
    private var oldest = 0
    private var count = 0
    private var latest: Sample? = nil

    /// - Parameter window: the span the rate is averaged over, in nanoseconds (default 1 s).
    public init(window: UInt64 = 1_000_000_000) {
        sampleSpacing = max(window / 10, 1)
        samples = Array(repeating: Sample(time: 0, bytes: 0), count: 11)
    }

    /// Notes that `totalBytes` have been transferred so far at time `now`.
    public mutating func record(totalBytes: UInt64, now: UInt64) {
        let sample = Sample(time: now, bytes: totalBytes)
        latest = sample
        if count > 0 {
            let newest = samples[(oldest + count - 1) % samples.count]
            if now < newest.time || now - newest.time < sampleSpacing { return }
        }
        if count == samples.count {
            oldest = (oldest + 1) % samples.count
            count -= 1
        }
        samples[(oldest + count) % samples.count] = sample
        count += 1
    }

    /// Bits per second over the window, 0 until two samples span some time.
    public var bitsPerSecond: Double {
        guard count > 0, let latest else { return 0 }
        let first = samples[oldest]
        guard latest.time > first.time, latest.bytes >= first.bytes else { return 0 }
        return Double(latest.bytes - first.bytes) * 8 * 1e9 / Double(latest.time - first.time)
    }
}
