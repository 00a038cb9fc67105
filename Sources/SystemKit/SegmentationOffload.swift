#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whether a program's UDP socket uses generic segmentation offload (GSO: one system call,
/// and one captured frame, for up to 64 datagrams) and its receive side (GRO). On by default;
/// `--no-gso`, or the environment variable RUDP_NO_GSO=1 for any program, turns it off, so
/// that a packet capture shows one datagram per frame.
public enum SegmentationOffload {
    /// Set to anything but empty or `0`, it turns the offload off like `--no-gso`.
    public static let environmentVariable = "RUDP_NO_GSO"

    /// Whether to use the offload: not if `noGSO` (the flag) was given or `environmentValue`
    /// (RUDP_NO_GSO's value, nil when unset) asks so.
    public static func isEnabled(noGSO: Bool, environmentValue: String?) -> Bool {
        guard !noGSO else { return false }
        guard let value = environmentValue else { return true }
        return value.isEmpty || value == "0"
    }

    /// As `isEnabled(noGSO:environmentValue:)` with this process's RUDP_NO_GSO.
    public static func isEnabled(noGSO: Bool) -> Bool {
        isEnabled(noGSO: noGSO, environmentValue: getenv(environmentVariable).map { String(cString: $0) })
    }
}
