import SystemKit
import RUDP

/// How a receiving endpoint handles incoming files (shared by the RUDP and TCP paths).
public struct ReceiveOptions: Sendable {
    /// As bytes: a directory's path need not be UTF-8.
    public var outputDirectory: FilePath
    public var overwrite: Bool
    /// A transfer with nothing from its sender for this long is abandoned; with
    /// `idleTimeoutFollowsSender`, an RUDP sender that announced more patience is waited for longer.
    public var idleTimeout: UInt64
    /// Whether an RUDP transfer is abandoned only once its sender would have given up (see
    /// `ReceiverConfiguration.idleTimeoutFollowsSender`); false when the user set the idle timeout.
    public var idleTimeoutFollowsSender: Bool
    /// `--once`: the server ends with its first transfer, and stays until that transfer's sender
    /// can no longer need an answer.
    public var once: Bool
    /// Whether the kernel may coalesce arriving datagrams of one flow into one buffer (UDP GRO,
    /// which on a real interface also merges them before a capture on this host sees them);
    /// false (`--no-gso`): every datagram arrives alone. Replies leave one per datagram either way.
    public var receiveOffload = true

    public init(outputDirectory: String = ".", overwrite: Bool = false, idleTimeout: UInt64 = 10_000_000_000,
                idleTimeoutFollowsSender: Bool = true, once: Bool = false) {
        self.init(outputDirectory: FilePath(outputDirectory), overwrite: overwrite, idleTimeout: idleTimeout,
                  idleTimeoutFollowsSender: idleTimeoutFollowsSender, once: once)
    }

    public init(outputDirectory: FilePath, overwrite: Bool = false, idleTimeout: UInt64 = 10_000_000_000,
                idleTimeoutFollowsSender: Bool = true, once: Bool = false) {
        self.outputDirectory = outputDirectory
        self.overwrite = overwrite
        self.idleTimeout = idleTimeout
        self.idleTimeoutFollowsSender = idleTimeoutFollowsSender
        self.once = once
    }
}

/// One finished incoming transfer, successful or not, as the receiver reports it.
public struct ReceivedFileReport: Sendable {
    /// The name the sender gave (made printable).
    public var name: String
    public var bytes: UInt64
    public var seconds: Double
    /// `sw`, `gbn`, `sr` or `tcp`.
    public var protocolName: String
    public var sha256: SHA256Digest?
    public var peer: String
    /// nil on success; otherwise the one-line reason.
    public var error: String?
    /// Times an RUDP transfer followed its sender to a new address (path validation); nil for TCP.
    public var migrations: Int?

    public init(name: String, bytes: UInt64, seconds: Double, protocolName: String, sha256: SHA256Digest?,
                peer: String, error: String?) {
        self.name = name
        self.bytes = bytes
        self.seconds = seconds
        self.protocolName = protocolName
        self.sha256 = sha256
        self.peer = peer
        self.error = error
    }

    public var succeeded: Bool { error == nil }
}

/// A finished outgoing transfer, as the sender reports it.
public struct SendReport: Sendable {
    public var protocolName: String
    public var bytes: UInt64
    public var seconds: Double
    public var sha256: SHA256Digest
    /// RUDP counters (nil for TCP).
    public var statistics: SenderStatistics?
    /// What held an RUDP sender to the path (nil for TCP).
    public var congestion: Congestion?
    /// The kernel congestion control the TCP baseline's connection used, as read back from it.
    public var tcpCongestionControl: String?

    /// The congestion controller's view at the end of an RUDP transfer.
    public struct Congestion: Sendable {
        public var algorithm: CongestionAlgorithm
        /// The largest and the last congestion window, in packets (nil without congestion control).
        public var maxWindowPackets: Int?
        public var finalWindowPackets: Int?
        /// The sender's smoothed RTT at the end, in nanoseconds.
        public var smoothedRTT: UInt64?
        /// The pacing rate at the end, in bits per second (nil for a controller that does not pace).
        public var pacingRate: Double?
    }

    public init(protocolName: String, bytes: UInt64, seconds: Double, sha256: SHA256Digest, statistics: SenderStatistics?) {
        self.protocolName = protocolName
        self.bytes = bytes
        self.seconds = seconds
        self.sha256 = sha256
        self.statistics = statistics
    }

    /// File bytes × 8 / seconds / 10^6.
    public var goodputMbps: Double { seconds > 0 ? Double(bytes) * 8 / seconds / 1e6 : 0 }
}

/// Why a send failed; the description is the one line the user sees.
public struct SendFailure: Error, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Progress of a running send, for the progress display and `rudp-send --interval`.
public struct SendProgress: Sendable {
    /// File bytes the receiver has acknowledged (TCP: its kernel).
    public var bytesAcknowledged: UInt64
    public var totalBytes: UInt64?
    public var retransmissions: Int
    /// The sender's smoothed RTT in nanoseconds (TCP: the kernel's), once measured.
    public var smoothedRTT: UInt64? = nil
    /// The congestion window in packets (TCP: segments), where one limits the sender.
    public var congestionWindow: Int? = nil
    /// An RUDP sender's congestion controller.
    public var congestionControl: CongestionAlgorithm? = nil
    /// The kernel congestion control of a TCP baseline connection, as read back from it.
    public var tcpCongestionControl: String? = nil
}
