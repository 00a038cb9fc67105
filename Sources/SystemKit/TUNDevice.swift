#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CRUDPShim

/// A TUN device this process created: every `read` of its descriptor is one IP packet the
/// kernel routed into the device, every `write` one packet handed to the kernel as received
/// on it. The device exists as long as the descriptor is open, even after it has been moved
/// into another network namespace; `close()` (or deinit) destroys it.
public final class TUNDevice {
    /// The interface name (at most 15 bytes).
    public let name: String
    /// The non-blocking, close-on-exec descriptor.
    public let fileDescriptor: Int32
    private var isOpen = true

    /// Creates the device `name` in the current network namespace. Fails with EBUSY if an
    /// interface of that name exists, rather than attaching to it.
    public init(creating name: String) throws(SystemError) {
        let result = crudp_tun_create(name)
        guard result >= 0 else { throw SystemError(errno: -result, call: "TUNSETIFF \(name)") }
        self.name = name
        fileDescriptor = result
    }

    /// Closes the descriptor, which removes the interface with its addresses and routes.
    public func close() {
        guard isOpen else { return }
        isOpen = false
        try? Posix.close(fileDescriptor)
    }

    deinit { close() }
}
