#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CLIKit
import SystemKit

/// The system side of a link: a lock on each namespace name, the namespaces (created if
/// absent), two TUN devices created in the current namespace and moved one into each, their
/// addresses, routes and the loopbacks up. `tearDown()` undoes exactly what `setUp` did, in
/// reverse order, including after a setup that failed half-way.
///
/// The devices are created here and moved with `ip link set DEV netns NS`: a TUN descriptor
/// stays attached to its device wherever the device goes, so the relay reads and writes both
/// namespaces' packets from this one without ever entering them.
final class LinkPlumbing {
    /// What to build.
    let configuration: LinkConfiguration
    /// Side A's device, once created.
    private(set) var deviceA: TUNDevice?
    /// Side B's device, once created.
    private(set) var deviceB: TUNDevice?
    /// The namespaces this process created (and deletes in `tearDown`), in creation order.
    private(set) var createdNamespaces: [String] = []
    private var locks: [NamespaceLock] = []
    private let ip: IPCommand
    /// The namespaces a killed link had left, deleted at the start of `setUp`.
    private(set) var removedLeftovers: [CreatedNamespaces.Leftover] = []

    /// Where `ip netns` keeps its namespace names.
    static let namespaceDirectory = "/var/run/netns"

    init(configuration: LinkConfiguration, ip: IPCommand) {
        self.configuration = configuration
        self.ip = ip
    }

    /// Builds the link step by step. `interrupted` is asked between steps: when it returns a
    /// signal the setup stops by throwing `InterruptedBySignal` (the caller tears down).
    /// Throws `LinkError` for a step that fails.
    func setUp(interrupted: () -> Int32?) throws {
        func checkpoint() throws {
            if let signal = interrupted() { throw InterruptedBySignal(signal: signal) }
        }
        let (nameA, nameB) = (configuration.namespaceA, configuration.namespaceB)
        let ip = ip
        removedLeftovers = CreatedNamespaces.removeAbandoned(
            exists: Self.namespaceExists, delete: { try ip.run(["netns", "delete", $0]) })
        for namespace in [nameA, nameB] {
            locks.append(try NamespaceLock(namespace: namespace))
        }
        for namespace in [nameA, nameB] where !Self.namespaceExists(namespace) {
            try checkpoint()
            CreatedNamespaces.record(namespace)
            do {
                try ip.run(["netns", "add", namespace])
            } catch {
                CreatedNamespaces.forget(namespace)
                throw error
            }
            createdNamespaces.append(namespace)
        }
        try checkpoint()
        let names = configuration.deviceNames
        deviceA = try Self.createDevice(names.a)
        deviceB = try Self.createDevice(names.b)
        try ip.runBatch(["link set \(names.a) netns \(nameA)", "link set \(names.b) netns \(nameB)"])
        try checkpoint()
        try ip.runBatch(
            Self.interfaceCommands(device: names.a, address: configuration.addressA, peer: configuration.addressB),
            namespace: nameA)
        try checkpoint()
        try ip.runBatch(
            Self.interfaceCommands(device: names.b, address: configuration.addressB, peer: configuration.addressA),
            namespace: nameB)
        try checkpoint()
    }

    /// The `ip` commands that configure one side inside its namespace. IPv6 address generation
    /// is off (`addrgenmode none`): otherwise the kernel sends router solicitations over the
    /// link on its own, which would shift the packet numbers `--drop` counts.
    static func interfaceCommands(device: String, address: InterfaceAddress, peer: InterfaceAddress) -> [String] {
        var commands = [
            "link set \(device) addrgenmode none",
            "addr add \(address) dev \(device)" + (address.family == .ipv6 ? " nodad" : ""),
            "link set \(device) up",
            "link set lo up",
        ]
        if !address.contains(peer) {
            commands.append("route add \(peer.hostRoute) dev \(device)")
        }
        return commands
    }

    /// Closes the devices (which removes them and their addresses and routes), deletes the
    /// namespaces this process created, releases the locks. Returns a line per step that
    /// failed (a namespace someone else deleted meanwhile is not a failure). Idempotent.
    @discardableResult
    func tearDown() -> [String] {
        var problems: [String] = []
        deviceA?.close()
        deviceB?.close()
        deviceA = nil
        deviceB = nil
        for namespace in createdNamespaces.reversed() {
            do {
                if Self.namespaceExists(namespace) { try ip.run(["netns", "delete", namespace]) }
                CreatedNamespaces.forget(namespace)
            } catch {
                problems.append(error.description)
            }
        }
        createdNamespaces.removeAll()
        for lock in locks.reversed() { lock.release() }
        locks.removeAll()
        return problems
    }

    deinit { tearDown() }

    /// Whether `ip netns` knows `namespace`.
    static func namespaceExists(_ namespace: String) -> Bool {
        access(namespaceDirectory + "/" + namespace, F_OK) == 0
    }

    private static func createDevice(_ name: String) throws(LinkError) -> TUNDevice {
        do {
            return try TUNDevice(creating: name)
        } catch {
            if error.errno == EBUSY {
                throw LinkError("a network interface named \(name) already exists; is another lossproxy link "
                    + "for these namespaces running?")
            }
            throw LinkError("cannot create the TUN device \(name): \(error)")
        }
    }
}
