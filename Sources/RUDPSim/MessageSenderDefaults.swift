import RUDP

/// The RUDP sender settings of why-udp's message streams, simulated (MessageSimulation,
/// MessageRoundTrip) and real (rudp-lab's why-udp peers) alike, so both measure the same protocol.
public enum MessageSenderDefaults {
    /// Consecutive timeouts of one packet tolerated: twice `SenderConfiguration`'s default,
    /// because why-udp's link is lossy on purpose (both ways, for the whole run) and a run must
    /// end in a measurement, not in a stream given up on after a loss burst.
    public static let maxRetries = 20
    /// The MSS, `SenderConfiguration`'s default: it holds the largest message why-udp sends.
    public static let mss = SenderConfiguration(connectionID: 0, initialSequence: 0, fileName: [], fileSize: nil).mss
}
