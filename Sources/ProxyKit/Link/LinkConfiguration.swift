import CLIKit
import Impairment

/// Everything `lossproxy link` needs to join two network namespaces through an impaired link.
///
/// Forward is A → B (packets leaving namespace A towards B), reverse is B → A.
public struct LinkConfiguration: Sendable {
    /// The namespace of side A (`ip netns` name), created if absent.
    public var namespaceA: String
    /// The namespace of side B, created if absent.
    public var namespaceB: String
    /// Side A's address on the link.
    public var addressA: InterfaceAddress = .defaultA
    /// Side B's address on the link.
    public var addressB: InterfaceAddress = .defaultB
    /// Impairments of A → B, as given: `corrupt` is applied to the transport payload only.
    public var forward: ImpairmentConfig
    /// Impairments of B → A.
    public var reverse: ImpairmentConfig
    /// The seed of every random decision of both directions.
    public var seed: UInt64
    /// Nanoseconds between statistics reports; nil for a report at exit only.
    public var statisticsInterval: UInt64? = nil
    /// `--rebind`: A's UDP and TCP source ports move every this many nanoseconds; nil for never.
    public var rebindInterval: UInt64? = nil

    /// A link between `namespaceA` and `namespaceB` with the default addresses.
    public init(namespaceA: String, namespaceB: String, forward: ImpairmentConfig = .none,
                reverse: ImpairmentConfig = .none, seed: UInt64 = 0) {
        self.namespaceA = namespaceA
        self.namespaceB = namespaceB
        self.forward = forward
        self.reverse = reverse
        self.seed = seed
    }

    /// The TUN device names of both sides, derived from the namespace pair so that they are
    /// stable across runs and distinct between pairs: `lpa-1f2e3d4c`, `lpb-1f2e3d4c`.
    public var deviceNames: (a: String, b: String) {
        var hash: UInt32 = 0x811C_9DC5  // FNV-1a
        for byte in Array(namespaceA.utf8) + [0] + Array(namespaceB.utf8) {
            hash = (hash ^ UInt32(byte)) &* 0x0100_0193
        }
        var suffix = String(hash, radix: 16)
        suffix = String(repeating: "0", count: 8 - suffix.count) + suffix
        return ("lpa-" + suffix, "lpb-" + suffix)
    }

    /// Longest namespace name accepted.
    public static let maximumNamespaceLength = 64

    /// Checks a namespace name: letters, digits, `.`, `_`, `-`, not starting with `-` (which
    /// `ip` would read as an option), not `.` or `..`, at most 64 bytes.
    public static func validateNamespaceName(_ name: String) throws(ValueError) {
        guard !name.isEmpty else { throw ValueError("a namespace name cannot be empty") }
        guard name.utf8.count <= maximumNamespaceLength else {
            throw ValueError("'\(name)' is longer than \(maximumNamespaceLength) bytes")
        }
        let allowed = name.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
        }
        guard allowed, !name.hasPrefix("-"), name != ".", name != ".." else {
            throw ValueError("'\(name)' is not a namespace name: use letters, digits, '.', '_' and '-', "
                + "not starting with '-'")
        }
    }
}
