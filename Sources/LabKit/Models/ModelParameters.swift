/// The link and protocol settings the textbook models take. Times in seconds, rates in bits/s.
///
/// The link is symmetric, as a sweep sets it up: the same loss, one-way delay and rate in
/// both directions. Packet sizes count every header that crosses the bottleneck, so that
/// L/R is the real serialization time of a packet.
public struct ModelParameters: Sendable, Equatable {
    /// Bottleneck rate R in bits per second; 0 means unlimited (L/R = 0).
    public var rate: Double
    /// One-way propagation delay d in seconds (the RTT is 2d plus serialization).
    public var oneWayDelay: Double
    /// Loss probability p of each packet, in each direction independently.
    public var loss: Double
    /// Window N in packets (1 for stop-and-wait).
    public var window: Int
    /// Payload bytes per packet (MSS).
    public var mss: Int
    /// Bytes each data packet carries besides its payload: RUDP's 32-byte header and 4-byte
    /// CRC plus IPv4 and UDP's 28 bytes by default.
    public var packetOverhead: Int
    /// Bytes of an acknowledgement on the wire.
    public var ackSize: Int
    /// Fixed retransmission timeout in seconds, or nil for RFC 6298's adaptive one, estimated
    /// as max(minimumTimeout, measured RTT) with doubling on consecutive timeouts.
    public var fixedTimeout: Double?
    /// RFC 6298's lower bound, as the senders use it (50 ms).
    public var minimumTimeout: Double
    /// Timeout before any RTT sample (the handshake's), 1 s per RFC 6298.
    public var initialTimeout: Double
    /// Upper bound of a backed-off timeout.
    public var maximumTimeout: Double
    /// In-order packets the receiver acknowledges together (delayed ACKs); nil for RUDP's
    /// rule, min(8, N/4) and at least 1, where the last packet before the sender must wait
    /// is acknowledged at once.
    public var ackEvery: Int?
    /// File size in bytes, for the finite-transfer form (handshake and close included); nil
    /// for the steady state alone.
    public var size: Int?

    /// RUDP's per-packet bytes besides payload: 36 (header + CRC) plus 28 (IPv4 + UDP).
    public static let rudpOverhead = 36 + 28
    /// TCP's per-segment bytes besides payload: 20 (IPv4) + 20 (TCP) + 12 (timestamps option).
    public static let tcpOverhead = 52
    /// TCP's MSS on a 1500-byte MTU with timestamps: 1500 − 52.
    public static let tcpMSS = 1448

    public init(
        rate: Double, oneWayDelay: Double, loss: Double, window: Int, mss: Int,
        packetOverhead: Int = ModelParameters.rudpOverhead, ackSize: Int = ModelParameters.rudpOverhead,
        fixedTimeout: Double? = nil, minimumTimeout: Double = 0.05, initialTimeout: Double = 1,
        maximumTimeout: Double = 4, ackEvery: Int? = nil, size: Int? = nil
    ) {
        self.ackEvery = ackEvery
        self.rate = rate
        self.oneWayDelay = oneWayDelay
        self.loss = loss
        self.window = window
        self.mss = mss
        self.packetOverhead = packetOverhead
        self.ackSize = ackSize
        self.fixedTimeout = fixedTimeout
        self.minimumTimeout = minimumTimeout
        self.initialTimeout = initialTimeout
        self.maximumTimeout = maximumTimeout
        self.size = size
    }

    /// L/R: seconds to serialize one full data packet at the bottleneck.
    public var transmissionTime: Double { serialization(bytes: mss + packetOverhead) }

    /// Seconds to serialize an acknowledgement.
    public var ackTransmissionTime: Double { serialization(bytes: ackSize) }

    /// RTT as the textbook uses it: from the end of a data packet's transmission to the
    /// arrival of its acknowledgement (2d plus the ACK's own serialization).
    public var roundTrip: Double { 2 * oneWayDelay + ackTransmissionTime }

    /// The cycle L/R + RTT: from the start of a packet's transmission to its acknowledgement.
    public var cycle: Double { transmissionTime + roundTrip }

    /// Packets per acknowledgement under in-order arrival.
    public var packetsPerAck: Int { ackEvery ?? max(1, min(8, window / 4)) }

    /// The loss-free cycle of a window that does not fill the pipe: the first ACK of a window
    /// waits for `packetsPerAck` packets, so the window slides (k − 1)·L/R later than RTT + L/R.
    public var windowCycle: Double { cycle + Double(packetsPerAck - 1) * transmissionTime }

    /// Payload fraction of every data packet's bytes on the wire.
    public var payloadFraction: Double { Double(mss) / Double(mss + packetOverhead) }

    /// Probability that a packet or its acknowledgement is lost: 1 − (1 − p)².
    public var roundLoss: Double { 1 - (1 - loss) * (1 - loss) }

    /// Seconds to serialize `bytes` at the bottleneck (0 on an unlimited link).
    public func serialization(bytes: Int) -> Double {
        rate > 0 ? Double(bytes) * 8 / rate : 0
    }
}
