/// The hidden command `rudp-lab share-probe` that `share` runs in namespace A: a UDP ping every
/// `--interval` to an echo across the link (the why-udp peers' UDP echo, in namespace B).
///
/// Output on stdout, one line per event: `sent SEQ SENT_NS` as each probe leaves and
/// `rtt SEQ NS` as its answer comes back. Times are CLOCK_MONOTONIC nanoseconds, one clock for
/// every namespace of the machine, so the lab places them on its own timeline. It runs until
/// SIGTERM.
public enum QueueProbeInterface {
    public static let command = "share-probe"

    static func arguments(to address: String, interval: UInt64) -> [String] {
        [command, "--to", address, "--interval", "\(interval)ns"]
    }

    /// The echo the probe pings: the why-udp peers' UDP echo on `listen`.
    static func echoArguments(listen: String) -> [String] {
        [WhyUDPPeerInterface.command, WhyUDPPeerInterface.Role.echo.rawValue, "--transport", "udp", "--listen", listen]
    }

    public static func sentLine(sequence: UInt64, sentAt: UInt64) -> String { "sent \(sequence) \(sentAt)" }
    public static func rttLine(sequence: UInt64, nanoseconds: UInt64) -> String { "rtt \(sequence) \(nanoseconds)" }

    /// The probes in `lines`, on a timeline whose 0 is `origin` (monotonic nanoseconds).
    public static func samples(_ lines: [String], origin: UInt64) -> [ProbeSample] {
        var sent: [UInt64: UInt64] = [:]
        var rtts: [UInt64: UInt64] = [:]
        for line in lines {
            let words = line.split(separator: " ")
            guard words.count == 3, let sequence = UInt64(words[1]), let value = UInt64(words[2]) else { continue }
            if words[0] == "sent" { sent[sequence] = value } else if words[0] == "rtt" { rtts[sequence] = value }
        }
        return sent.sorted { $0.key < $1.key }.map { sequence, at in
            ProbeSample(time: (Double(at) - Double(origin)) / 1e9, rtt: rtts[sequence].map { Double($0) / 1e6 })
        }
    }
}
