/// The hidden `rudp-lab why-udp-peer` command that `why-udp --network link` runs inside the
/// namespaces: its roles, arguments and output lines, defined once here for both the runner
/// that starts the peers and the peers themselves.
///
/// - `sink` (side B) receives a message stream and, at the end, prints `arrived INDEX SENT_NS ARRIVED_NS`
///   per message that reached it, then `done`.
/// - `source` (side A) writes the stream on schedule and prints `sent INDEX SENT_NS` per message,
///   `retransmissions N` (RUDP), `redundant_bytes N` (RUDP with redundancy), then `done`.
/// - `echo` (side B) answers every request with a response of `--response-size` bytes until stopped.
/// - `ask` (side A) makes request/response trials one after the other and prints
///   `trial INDEX NS` (time to the response) or `trial INDEX none`.
///
/// Times are CLOCK_MONOTONIC nanoseconds: one clock for every namespace of the machine, so a
/// latency is the sink's arrival time minus the source's stamp. Listening peers print
/// `why-udp-peer: listening on ADDR` on stderr once ready.
public enum WhyUDPPeerInterface {
    /// The hidden command's name.
    public static let command = "why-udp-peer"

    /// What a peer does.
    public enum Role: String, Sendable, CaseIterable {
        case sink, source, echo, ask
    }

    /// The transports a stream source takes (`rudp-ordered`, …); sinks and exchanges take
    /// `udp`, `tcp` or `rudp` (the source's SYN says which delivery order).
    public static func sinkTransport(_ transport: WhyUDPTransport) -> String {
        switch transport {
        case .udp: "udp"
        case .tcp: "tcp"
        case .rudpOrdered, .rudpUnordered, .rudpRedundant: "rudp"
        }
    }

    static func sinkArguments(_ transport: WhyUDPTransport, listen: String, plan: WhyUDPPlan) -> [String] {
        [command, Role.sink.rawValue, "--transport", sinkTransport(transport), "--listen", listen,
         "--count", String(plan.messageCount), "--size", String(plan.messageSize), "--idle", "3s"]
    }

    static func sourceArguments(_ transport: WhyUDPTransport, to address: String, plan: WhyUDPPlan) -> [String] {
        [command, Role.source.rawValue, "--transport", transport.rawValue, "--to", address,
         "--count", String(plan.messageCount), "--interval", "\(plan.interval)ns", "--size", String(plan.messageSize),
         "--window", String(plan.window)]
    }

    static func echoArguments(_ exchange: WhyUDPExchange, listen: String, plan: WhyUDPPlan) -> [String] {
        [command, Role.echo.rawValue, "--transport", exchange.rawValue, "--listen", listen,
         "--size", String(plan.messageSize), "--response-size", String(plan.effectiveResponseSize)]
    }

    static func askArguments(_ exchange: WhyUDPExchange, to address: String, plan: WhyUDPPlan) -> [String] {
        [command, Role.ask.rawValue, "--transport", exchange.rawValue, "--to", address,
         "--trials", String(plan.requests), "--size", String(plan.messageSize),
         "--response-size", String(plan.effectiveResponseSize), "--timeout", "5s"]
    }

    /// The line that closes a sink's or source's output.
    public static let doneLine = "done"
    /// The prefix of a listening peer's ready line on stderr.
    public static let listeningPrefix = "why-udp-peer: listening on "

    public static func arrivedLine(index: Int, sentAt: UInt64, arrivedAt: UInt64) -> String {
        "arrived \(index) \(sentAt) \(arrivedAt)"
    }

    public static func sentLine(index: Int, sentAt: UInt64) -> String {
        "sent \(index) \(sentAt)"
    }

    public static func retransmissionsLine(_ count: Int) -> String {
        "retransmissions \(count)"
    }

    /// The bytes of redundant copies an RUDP source with redundancy carried.
    public static func redundantBytesLine(_ bytes: Int) -> String {
        "redundant_bytes \(bytes)"
    }

    public static func trialLine(index: Int, nanoseconds: UInt64?) -> String {
        "trial \(index) " + (nanoseconds.map(String.init) ?? "none")
    }

    /// The words of a peer's output line after its keyword, or nil if the line is another kind.
    static func fields(_ line: String, keyword: String) -> [Substring]? {
        let words = line.split(separator: " ")
        guard words.first == Substring(keyword) else { return nil }
        return Array(words.dropFirst())
    }
}
