import Impairment

/// Where `rudp-lab why-udp` runs: in-process on a virtual clock, or as real processes in two
/// network namespaces joined by `lossproxy link`.
public enum WhyUDPNetwork: String, Sendable, CaseIterable {
    case sim
    case link
}

/// A way to carry the message stream of `why-udp`.
public enum WhyUDPTransport: String, Sendable, CaseIterable, Comparable {
    /// Raw datagrams: lost messages stay lost.
    case udp
    /// Kernel TCP, one connection, Nagle off.
    case tcp
    /// RUDP Selective Repeat delivering in order.
    case rudpOrdered = "rudp-ordered"
    /// RUDP Selective Repeat delivering each message as it arrives.
    case rudpUnordered = "rudp-unordered"
    /// As RUDP unordered, each packet also carrying the previous message while it is
    /// unacknowledged (redundancy 1, as VoIP codecs do): a single loss costs no round trip.
    case rudpRedundant = "rudp-redundant"

    /// The name in tables and legends.
    public var title: String {
        switch self {
        case .udp: "UDP"
        case .tcp: "TCP"
        case .rudpOrdered: "RUDP ordered"
        case .rudpUnordered: "RUDP unordered"
        case .rudpRedundant: "RUDP unordered, redundancy 1"
        }
    }

    /// Colour-blind-safe colours (Okabe & Ito); TCP keeps the sweep plots' colour.
    public var color: String {
        switch self {
        case .udp: "#E69F00"
        case .tcp: "#CC79A7"
        case .rudpOrdered: "#0072B2"
        case .rudpUnordered: "#009E73"
        case .rudpRedundant: "#56B4E9"
        }
    }

    public static func < (lhs: WhyUDPTransport, rhs: WhyUDPTransport) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// A way to carry the single request/response of `why-udp`'s time-to-first-response measurement.
public enum WhyUDPExchange: String, Sendable, CaseIterable {
    /// One datagram each way, no handshake; a loss means no answer at all.
    case udp
    /// Connect (three-way handshake), request, response.
    case tcp
    /// An RUDP connection each way, the server's opened as soon as the client's SYN arrives.
    case rudp
    /// RUDP 0-RTT, first contact: the request in the SYN, the response in the SYN-ACK within
    /// three times what the SYN brought.
    case rudpZeroRTT = "rudp-0rtt"
    /// RUDP 0-RTT presenting an address-validation token from an earlier connection.
    case rudpZeroRTTToken = "rudp-0rtt-token"
    /// Kernel TCP Fast Open, first contact: the SYN asks for a cookie, the request waits for the handshake.
    case tcpFastOpen = "tcp-fastopen"
    /// Kernel TCP Fast Open with the cookie of an earlier connection: the request rides in the SYN.
    case tcpFastOpenCookie = "tcp-fastopen-cookie"

    public var title: String {
        switch self {
        case .udp: "UDP"
        case .tcp: "TCP"
        case .rudp: "RUDP"
        case .rudpZeroRTT: "RUDP 0-RTT (first contact)"
        case .rudpZeroRTTToken: "RUDP 0-RTT (token)"
        case .tcpFastOpen: "TCP Fast Open (first contact)"
        case .tcpFastOpenCookie: "TCP Fast Open (cookie)"
        }
    }

    /// Whether this exchange runs over kernel TCP (not modelled on sim).
    public var isTCP: Bool { self == .tcp || self == .tcpFastOpen || self == .tcpFastOpenCookie }
}

/// What `rudp-lab why-udp` measures: a stream of small timestamped messages at a steady rate
/// over a lossy, delayed link, per transport, and request/response exchanges.
public struct WhyUDPPlan: Sendable, Equatable {
    /// Loss probability per direction (0...1).
    public var loss = 0.02
    /// One-way delay per direction, in nanoseconds.
    public var delay: UInt64 = 20_000_000
    /// Bytes per message (and per request and response).
    public var messageSize = 100
    /// Messages the application writes per second.
    public var messagesPerSecond = 50
    /// How long the application writes, in nanoseconds.
    public var duration: UInt64 = 20_000_000_000
    /// Bytes of each response; nil: `messageSize`, as the request.
    public var responseSize: Int?
    /// Request/response exchanges measured per transport.
    public var requests = 50
    /// RUDP window in packets.
    public var window = 64
    public var network: WhyUDPNetwork = .sim
    /// The migration row: a file of this many bytes sent while the sender's NAT rebinds it
    /// every `rebindInterval` nanoseconds (0: no migration row).
    public var migrationFileSize = 20_000_000
    public var rebindInterval: UInt64 = 2_000_000_000
    /// The migration row's bottleneck, bits per second (a queue of 100 packets), so the file
    /// takes several rebinding intervals.
    public var migrationRate: UInt64 = 20_000_000
    /// Seed of the link's decisions (the same for every transport, so on sim the n-th datagram
    /// of each run meets the same fate).
    public var seed: UInt64 = 1

    public init() {}

    /// Bytes of each response.
    public var effectiveResponseSize: Int { responseSize ?? messageSize }

    /// Messages per run.
    public var messageCount: Int {
        max(1, Int((Double(duration) / 1e9 * Double(messagesPerSecond)).rounded()))
    }

    /// Time between two messages, in nanoseconds.
    public var interval: UInt64 {
        UInt64((1e9 / Double(max(messagesPerSecond, 1))).rounded())
    }

    /// The impairments of each direction.
    public var impairment: ImpairmentConfig {
        var config = ImpairmentConfig()
        config.loss = loss
        config.delay = delay
        return config
    }

    /// A message counts as late when it arrives more than this long after the one-way delay
    /// (it waited for a retransmission, its own or an earlier message's), in milliseconds.
    public static let lateMarginMilliseconds = 10.0

    /// The latency above which a message is late, in milliseconds.
    public var lateThresholdMilliseconds: Double {
        Double(delay) / 1e6 + Self.lateMarginMilliseconds
    }
}
