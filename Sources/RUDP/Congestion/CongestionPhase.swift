/// Which part of its algorithm a congestion controller is in, as traces and plots name it.
/// The loss-based controllers (NewReno, CUBIC) move between slow start, congestion avoidance
/// and recovery; BBR between its four modes.
public enum CongestionPhase: String, Sendable, CaseIterable {
    /// The window grows by what each acknowledgement acknowledged: it doubles every round trip.
    case slowStart = "slow_start"
    /// Past the slow-start threshold: the window grows by about one packet per round trip
    /// (NewReno) or along the cubic curve (CUBIC).
    case congestionAvoidance = "congestion_avoidance"
    /// After a reduction, until a packet sent after it is acknowledged: the window holds still.
    case recovery
    /// BBR's Startup: the pacing rate doubles every round trip until the bandwidth stops growing.
    case startup
    /// BBR's Drain: pacing below the bandwidth empties the queue Startup built.
    case drain
    /// BBR's ProbeBW: the pacing gain cycles around the measured bandwidth.
    case probeBandwidth = "probe_bw"
    /// BBR's ProbeRTT: four packets in flight for 200 ms, to measure the minimum RTT afresh.
    case probeRTT = "probe_rtt"
}
