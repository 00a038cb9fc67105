/// All the state of one direction's pipeline, as one value, behind `ImpairmentPipeline`.
/// Kept as one noncopyable value so the class can hold it through a single pointer (see there).
struct PipelineCore: ~Copyable {
    let maxDatagramSize: Int
    private var isIdentity: Bool
    private var pool: BufferPool
    private var schedule = ReleaseSchedule()
    private var scriptedDrop: ScriptedDrop
    private var bernoulliLoss: BernoulliLoss? = nil
    private var burstLoss: GilbertElliottLoss? = nil
    private var corruption: Corruption? = nil
    private var duplication: Duplication? = nil
    private var rateLimiter: RateLimiter
    private var delayLine: DelayLine
    /// Delivery slots (netem `slot`), gating release; nil releases each datagram when due.
    private var slotGate: SlotGate? = nil
    private var counters = ImpairmentStats()
    /// Latest `now` seen by `submit`: time never runs backwards inside the pipeline.
    private var lastSubmitTime: UInt64 = 0
    private var highestReleasedIndex = 0
    private var holdLimitBytes: Int
    /// Bytes of the datagrams in the schedule (queued, delayed or held back).
    private var heldBytes = 0
    /// Told every datagram's fate when a capture asks (see `ImpairmentObserver`); nil otherwise.
    var observer: (any ImpairmentObserver)?

    init(config: ImpairmentConfig, seed: UInt64, maxDatagramSize: Int) {
        self.maxDatagramSize = maxDatagramSize
        pool = BufferPool(maxDatagramSize: maxDatagramSize)
        rateLimiter = RateLimiter(
            bitsPerSecond: config.rate, overheadBytes: config.rateOverhead, queueLimit: config.queueLimit)
        isIdentity = config.isIdentity
        holdLimitBytes = config.holdLimitBytes
        scriptedDrop = ScriptedDrop(config.scriptedDrops)
        delayLine = DelayLine(config: config, seed: seed)
        buildStages(config: config, seed: seed)
    }

    /// Applies `config` from now on with fresh random streams derived from `seed`. Everything
    /// held keeps its release time; the counters, the buffer pool, the datagram numbering, the
    /// bottleneck's busy period and the in-order release bound carry over.
    mutating func reconfigure(config: ImpairmentConfig, seed: UInt64) {
        isIdentity = config.isIdentity
        holdLimitBytes = config.holdLimitBytes
        scriptedDrop = ScriptedDrop(config.scriptedDrops)
        rateLimiter.reconfigure(
            bitsPerSecond: config.rate, overheadBytes: config.rateOverhead, queueLimit: config.queueLimit)
        let lastInOrderDue = delayLine.lastInOrderDue
        delayLine = DelayLine(config: config, seed: seed)
        delayLine.lastInOrderDue = lastInOrderDue
        buildStages(config: config, seed: seed)
    }

    /// The random stages of `config`, each on its own stream of `seed` (nil where disabled).
    private mutating func buildStages(config: ImpairmentConfig, seed: UInt64) {
        bernoulliLoss = config.loss > 0
            ? BernoulliLoss(probability: config.loss, correlation: config.lossCorrelation,
                            random: SeededRandom(seed: seed, stream: "loss"))
            : nil
        burstLoss = config.burstLoss.map {
            GilbertElliottLoss(model: $0, random: SeededRandom(seed: seed, stream: "burst-loss"))
        }
        corruption = config.corrupt > 0
            ? Corruption(probability: config.corrupt, offset: config.corruptOffset,
                         random: SeededRandom(seed: seed, stream: "corrupt"))
            : nil
        duplication = config.duplicate > 0
            ? Duplication(probability: config.duplicate, random: SeededRandom(seed: seed, stream: "duplicate"))
            : nil
        slotGate = config.slots.map { SlotGate(slots: $0, random: SeededRandom(seed: seed, stream: "slot")) }
    }

    var stats: ImpairmentStats {
        var snapshot = counters
        snapshot.queuedNow = rateLimiter.waitingCount
        snapshot.heldNow = schedule.count
        return snapshot
    }

    var nextReleaseTime: UInt64? {
        guard let slotGate else { return schedule.earliestDue }
        return schedule.first.map { slotGate.releaseTime(due: $0.due) }
    }

    var pooledSlotCount: Int { pool.allocatedSlots }

    /// `corruptOffset` overrides the configured one for this datagram (nil: the configured one).
    mutating func submit(_ datagram: UnsafeRawBufferPointer, tag: UInt64, now: UInt64, corruptOffset: Int? = nil) {
        let now = max(now, lastSubmitTime)
        lastSubmitTime = now
        counters.received += 1
        let index = counters.received
        let length = datagram.count

        if isIdentity {
            guard length <= maxDatagramSize else {
                counters.droppedOversize += 1
                observer?.dropped(index: index, isDuplicate: false, cause: .oversize)
                return
            }
            let slot = copyIntoSlot(datagram)
            heldBytes += length
            observer?.scheduled(index: index, isDuplicate: false, arrival: now, due: now)
            schedule.insert(HeldDatagram(
                due: now, index: index, isDuplicate: false, tag: tag, slot: slot, length: length))
            return
        }

        // Every enabled random stage decides first, whatever the others decide, so that its
        // decision for the Nth datagram depends on the seed and N alone.
        let scripted = scriptedDrop.isEnabled && scriptedDrop.drops(index: index)
        let lost = bernoulliLoss?.nextIsLost() ?? false
        let burstLost = burstLoss?.nextIsLost() ?? false
        let flippedBit = corruption?.nextBitToFlip(length: length, offset: corruptOffset)
        let duplicated = duplication?.nextIsDuplicated() ?? false
        let timing = delayLine.nextTiming()

        guard length <= maxDatagramSize else {
            counters.droppedOversize += 1
            observer?.dropped(index: index, isDuplicate: false, cause: .oversize)
            return
        }
        if scripted {
            counters.droppedScripted += 1
            observer?.dropped(index: index, isDuplicate: false, cause: .scripted)
            return
        }
        if lost {
            counters.droppedLoss += 1
            observer?.dropped(index: index, isDuplicate: false, cause: .loss)
            return
        }
        if burstLost {
            counters.droppedBurstLoss += 1
            observer?.dropped(index: index, isDuplicate: false, cause: .burst)
            return
        }

        let slot = copyIntoSlot(datagram)
        if let bit = flippedBit {
            Corruption.flip(bit: bit, in: pool.pointer(slot))
            counters.corrupted += 1
            observer?.corrupted(index: index, bit: bit)
        }
        var copy: BufferPool.Slot?
        if duplicated {
            // The copy is taken after corruption: both carry the same flipped bit.
            let duplicateSlot = pool.acquire(length: length)
            pool.pointer(duplicateSlot).copyMemory(from: pool.pointer(slot), byteCount: length)
            copy = duplicateSlot
            counters.duplicated += 1
            observer?.duplicated(index: index)
        }
        admit(slot: slot, length: length, tag: tag, index: index, isDuplicate: false, now: now, timing: timing)
        if let copy {
            let copyTiming = delayLine.nextDuplicateTiming()
            admit(slot: copy, length: length, tag: tag, index: index, isDuplicate: true, now: now, timing: copyTiming)
        }
    }

    /// Lets the rate limiter forget datagrams that started serializing by `now`.
    mutating func advance(to now: UInt64) {
        rateLimiter.advance(to: now)
    }

    /// Takes the next datagram due by `now` out of the schedule, counting it as delivered; its
    /// slot stays in use until `recycle(_:)`.
    mutating func popDue(now: UInt64) -> (bytes: UnsafeRawBufferPointer, tag: UInt64, slot: BufferPool.Slot)? {
        let datagram: HeldDatagram
        let releaseTime: UInt64
        if slotGate != nil {
            guard let head = schedule.first, slotGate!.releaseTime(due: head.due) <= now,
                  let popped = schedule.popDue(now: head.due) else { return nil }
            datagram = popped
            releaseTime = slotGate!.release(due: head.due, length: Int(head.length))
        } else {
            guard let popped = schedule.popDue(now: now) else { return nil }
            datagram = popped
            releaseTime = popped.due
        }
        counters.delivered += 1
        heldBytes -= Int(datagram.length)
        let reordered = datagram.index < highestReleasedIndex
        if reordered {
            counters.reordered += 1
        } else {
            highestReleasedIndex = datagram.index
        }
        observer?.released(index: datagram.index, isDuplicate: datagram.order & 1 == 1, due: releaseTime, reordered: reordered)
        let bytes = UnsafeRawBufferPointer(start: pool.pointer(datagram.slot), count: Int(datagram.length))
        return (bytes, datagram.tag, datagram.slot)
    }

    mutating func recycle(_ slot: BufferPool.Slot) {
        pool.release(slot)
    }

    private mutating func copyIntoSlot(_ datagram: UnsafeRawBufferPointer) -> BufferPool.Slot {
        let slot = pool.acquire(length: datagram.count)
        if let source = datagram.baseAddress, datagram.count > 0 {
            pool.pointer(slot).copyMemory(from: source, byteCount: datagram.count)
        }
        return slot
    }

    /// Passes one copy through the rate limiter and the delay line into the release schedule.
    private mutating func admit(slot: BufferPool.Slot, length: Int, tag: UInt64, index: Int,
                                isDuplicate: Bool, now: UInt64, timing: DelayTiming) {
        guard heldBytes + length <= holdLimitBytes else {
            counters.droppedHoldLimit += 1
            observer?.dropped(index: index, isDuplicate: isDuplicate, cause: .holdLimit)
            pool.release(slot)
            return
        }
        guard let departure = rateLimiter.admit(bytes: length, now: now) else {
            counters.droppedQueue += 1
            observer?.dropped(index: index, isDuplicate: isDuplicate, cause: .queue)
            pool.release(slot)
            return
        }
        let (due, reordered) = delayLine.schedule(departure: departure, timing: timing)
        if due > now { counters.delayed += 1 }
        if reordered { counters.heldBackForReorder += 1 }
        heldBytes += length
        observer?.scheduled(index: index, isDuplicate: isDuplicate, arrival: now, due: due)
        schedule.insert(HeldDatagram(
            due: due, index: index, isDuplicate: isDuplicate, tag: tag, slot: slot, length: length))
    }
}
