/// netem's `slot MIN MAX [packets N] [bytes B]`: the link delivers only at slot openings, in
/// bursts, like a radio link that is granted transmission slots (docs/IMPAIRMENTS.md, "Slots").
public struct DeliverySlots: Sendable, Equatable {
    /// Shortest time from one slot opening to the next, ns.
    public var minInterval: UInt64
    /// Longest time from one slot opening to the next, ns (the interval is uniform in between).
    public var maxInterval: UInt64
    /// Datagrams one slot delivers at most; 0 for no limit.
    public var maxPackets: Int
    /// Bytes one slot delivers at most (the datagram that crosses the limit still goes); 0 for none.
    public var maxBytes: Int

    /// Slots every `minInterval`...`maxInterval` ns, delivering up to `maxPackets` datagrams and
    /// `maxBytes` bytes each (0: unlimited).
    public init(minInterval: UInt64, maxInterval: UInt64, maxPackets: Int = 0, maxBytes: Int = 0) {
        self.minInterval = minInterval
        self.maxInterval = maxInterval
        self.maxPackets = maxPackets
        self.maxBytes = maxBytes
    }
}
