/// What a report says about the experiment besides its numbers: title, exact command, environment.
public struct SweepDescription: Sendable {
    /// A title such as "Loss sweep (sim)".
    public var title: String
    /// The command line exactly as typed (program name first).
    public var command: String
    public var environment: RunEnvironment
    /// What was learnt of the far end and the path (`--network external`): (name, value) rows.
    public var farEnd: [(String, String)] = []

    public init(title: String, command: String, environment: RunEnvironment) {
        self.title = title
        self.command = command
        self.environment = environment
    }

    /// The README's "Command" and "Environment" sections, alike for every experiment: `network`
    /// says what the network was, `took` is the run's duration already formatted (in seconds), and
    /// `extraRows` (name, value) follow the date, for what only one experiment has.
    func commandAndEnvironment(network: String, took: String, extraRows: [(String, String)] = []) -> [String] {
        var lines = ["## Command", "", "```", command, "```", "", "## Environment", "", "| | |", "|---|---|"]
        lines.append("| network | \(network) |")
        lines.append("| machine | \(environment.machine) |")
        lines.append("| kernel | \(environment.kernel) |")
        lines.append("| commit | \(environment.commit) |")
        lines.append("| build | \(environment.build) |")
        if let tcp = environment.tcpCongestionControl {
            lines.append("| kernel TCP congestion control (default; each TCP run records its own) | \(tcp) |")
        }
        lines.append("| date | \(environment.date) (took \(took) s) |")
        for (name, value) in extraRows { lines.append("| \(name) | \(value) |") }
        return lines
    }

    /// The default title: which parameter the sweep varies, and where it ran.
    public static func defaultTitle(for plan: SweepPlan) -> String {
        let varying = SweepDimension.varying(in: plan)
        let what = varying.isEmpty ? "Single-condition run" : varying.map { $0.rawValue.capitalized }.joined(separator: " × ") + " sweep"
        return "\(what) (\(plan.network))"
    }

    /// One line saying what the network was.
    public static func networkDescription(_ network: NetworkKind) -> String {
        switch network {
        case .sim: "sim: the real sender and receiver state machines over the impairment engine, on a virtual clock (deterministic)"
        case .proxy: "proxy: rudp-send and rudp-recv as processes on loopback, through lossproxy's UDP relay impairing both directions"
        case .link: "link: processes in two network namespaces joined by lossproxy's TUN link, impairing every IP packet both ways"
        case .external: "external: rudp-send on this machine against a rudp-recv on another; loss, delay and rate, where given, "
            + "are added on top of the real path by a local lossproxy relay (RUDP only)"
        }
    }
}
