import Impairment

/// One datagram as it left a pipeline.
struct Delivery: Equatable {
    /// The tag it was submitted with: its 1-based submission index in these tests.
    var index: Int
    /// When it was released, ns.
    var time: UInt64
    /// Its bytes, when the harness was asked to keep them.
    var bytes: [UInt8]
}

/// Drives a pipeline the way an exact event loop would: datagram i (1-based) is submitted at
/// `start + (i − 1) × interval`, and releases happen at precisely each `nextReleaseTime`.
struct PipelineHarness {
    var count: Int
    var size: Int = 100
    var interval: UInt64 = 1_000_000
    var start: UInt64 = 1_000_000_000
    var keepBytes = false

    func submitTime(of index: Int) -> UInt64 {
        start + UInt64(index - 1) * interval
    }

    /// The payload of datagram `index`: distinct for every index and byte position.
    func payload(of index: Int) -> [UInt8] {
        (0..<size).map { UInt8(truncatingIfNeeded: index &* 131 &+ $0 &* 7 &+ ($0 >> 8)) }
    }

    func run(_ pipeline: ImpairmentPipeline) -> [Delivery] {
        var deliveries: [Delivery] = []
        deliveries.reserveCapacity(count)
        func record(at time: UInt64) {
            pipeline.releaseDue(now: time) { bytes, tag in
                deliveries.append(Delivery(index: Int(tag), time: time, bytes: keepBytes ? Array(bytes) : []))
            }
        }
        func releaseUntil(_ limit: UInt64) {
            while let due = pipeline.nextReleaseTime, due <= limit {
                record(at: due)
            }
        }
        var buffer = [UInt8](repeating: 0, count: size)
        for index in 1...count {
            let now = submitTime(of: index)
            releaseUntil(now)
            if keepBytes {
                buffer = payload(of: index)
            } else {
                buffer.withUnsafeMutableBytes { $0.storeBytes(of: UInt64(index), as: UInt64.self) }
            }
            buffer.withUnsafeBytes { pipeline.submit($0, tag: UInt64(index), now: now) }
            record(at: now)
        }
        releaseUntil(.max)
        return deliveries
    }
}

/// Whether `observed` lies within `sigmas` standard deviations of `expected`.
func isWithin(_ observed: Double, of expected: Double, sigma: Double, sigmas: Double = 4) -> Bool {
    abs(observed - expected) <= sigmas * sigma
}

/// Standard deviation of a binomial count of `trials` trials with success probability `p`.
func binomialSigma(trials: Int, p: Double) -> Double {
    (Double(trials) * p * (1 - p)).squareRoot()
}

/// The submission indices missing from `deliveries` among 1...count.
func missingIndices(_ deliveries: [Delivery], count: Int) -> [Int] {
    var seen = [Bool](repeating: false, count: count + 1)
    for delivery in deliveries { seen[delivery.index] = true }
    return (1...count).filter { !seen[$0] }
}

/// A configuration built by editing the identity one.
func config(_ edit: (inout ImpairmentConfig) -> Void) -> ImpairmentConfig {
    var value = ImpairmentConfig()
    edit(&value)
    return value
}
