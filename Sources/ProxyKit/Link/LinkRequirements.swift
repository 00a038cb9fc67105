#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// What `lossproxy link` needs from the system, checked before it changes anything so that a
/// user without it gets one line saying what is missing and how to run the link instead.
enum LinkRequirements {
    /// `CAP_NET_ADMIN`: create TUN devices, move them, configure addresses.
    static let netAdminCapability = 12
    /// `CAP_SYS_ADMIN`: `ip netns add` mounts the namespace under /run/netns.
    static let sysAdminCapability = 21

    /// How to run the link without being root, for messages.
    static let userNamespaceHint =
        "run it as root (sudo lossproxy link …), or where user namespaces are allowed inside one with its own /run: "
        + "unshare -rmn sh -c 'mount -t tmpfs tmpfs /run && lossproxy link …'"

    /// Checks, in order: Linux, the capabilities, /dev/net/tun, the `ip` command. Returns the
    /// `ip` to use; throws `LinkError` naming the first thing missing.
    static func check() throws(LinkError) -> IPCommand {
        #if !os(Linux)
        throw LinkError(
            "link mode needs Linux (network namespaces and TUN devices); "
                + "on this system use the UDP relay: lossproxy --listen ADDR --to ADDR")
        #else
        if let capabilities = effectiveCapabilities(
            statusText: (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? "")
        {
            var missing: [String] = []
            if capabilities & (1 << netAdminCapability) == 0 { missing.append("CAP_NET_ADMIN") }
            if capabilities & (1 << sysAdminCapability) == 0 { missing.append("CAP_SYS_ADMIN") }
            if !missing.isEmpty {
                throw LinkError(
                    "link mode needs privileges to create network namespaces and TUN devices ("
                        + missing.joined(separator: ", ") + " missing): " + userNamespaceHint)
            }
        }
        var status = stat()
        guard stat("/dev/net/tun", &status) == 0 else {
            throw LinkError(
                "link mode needs TUN devices but there is no /dev/net/tun: load the module (modprobe tun), "
                    + "or give a container the device (--device /dev/net/tun)")
        }
        let fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC)
        guard fd >= 0 else {
            let reason = String(cString: strerror(errno))
            throw LinkError(
                "link mode cannot open /dev/net/tun (\(reason)): run it as root (sudo lossproxy link …); "
                    + "in a user namespace the device must be readable and writable by all (mode 0666)")
        }
        close(fd)
        guard let ip = IPCommand.locate() else {
            throw LinkError(
                "link mode needs the ip command, which is not installed: apt-get install iproute2 "
                    + "(or your distribution's iproute2 package)")
        }
        return ip
        #endif
    }

    /// The effective capability set from the text of `/proc/self/status` (its `CapEff:` line,
    /// hexadecimal), or nil if the line is absent (then the system's own errors will tell).
    static func effectiveCapabilities(statusText: String) -> UInt64? {
        for line in statusText.split(separator: "\n") where line.hasPrefix("CapEff:") {
            return UInt64(line.dropFirst("CapEff:".count).trimmingCharacters(in: .whitespaces), radix: 16)
        }
        return nil
    }
}
