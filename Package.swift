// swift-tools-version:6.0
import PackageDescription

// No package dependencies, by design: the lab builds offline with the toolchain alone.

// Release builds of the per-packet code skip the run-time exclusivity checks (each access to a
// class's stored property otherwise records itself in a thread-local set: a few percent of a
// transfer's CPU in profiles). Debug builds, which the tests run, keep them, so an overlapping
// access is still caught there.
let perPacketCode: [SwiftSetting] = [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]

let package = Package(
    name: "rudp-lab",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "RUDP", targets: ["RUDP"]),
        .library(name: "Impairment", targets: ["Impairment"]),
        .executable(name: "rudp-send", targets: ["rudp-send"]),
        .executable(name: "rudp-recv", targets: ["rudp-recv"]),
        .executable(name: "lossproxy", targets: ["lossproxy"]),
        .executable(name: "rudp-lab", targets: ["rudp-lab"]),
    ],
    dependencies: [],
    targets: [
        // Wire format and the sans-IO protocol core: no sockets, no clock, no files.
        .target(name: "RUDP", dependencies: ["CRUDPShim"], swiftSettings: perPacketCode),
        // The impairment engine shared by the simulator and both proxy front-ends.
        .target(name: "Impairment", swiftSettings: perPacketCode),
        // Two protocol endpoints over the impairment engine on a virtual clock.
        .target(name: "RUDPSim", dependencies: ["RUDP", "Impairment"], swiftSettings: perPacketCode),
        // The system layer: every syscall wrapped once (sockets, poll, batched datagrams, files,
        // clocks, processes), used by the transfer drivers, the relay and the link alike. No protocol.
        .target(name: "SystemKit", dependencies: ["CRUDPShim"], swiftSettings: perPacketCode),
        // The file-transfer drivers: the protocol core joined to sockets, files and a poll loop.
        .target(name: "RUDPNet", dependencies: ["RUDP", "SystemKit", "CRUDPShim", "CLIKit"], swiftSettings: perPacketCode),
        // A few C wrappers for what Swift cannot call directly (ioctl, recvmmsg/sendmmsg).
        .target(name: "CRUDPShim"),
        // Argument parsing, units, JSON and progress output shared by the programs.
        .target(name: "CLIKit"),
        // The impairment flags (--loss, --delay, --rate, …) declared once, for lossproxy and rudp-lab alike.
        .target(name: "ImpairmentCLI", dependencies: ["Impairment", "CLIKit"]),
        // Experiments, textbook models, and the CSV/JSON/SVG/Markdown report writers of rudp-lab.
        .target(name: "LabKit", dependencies: ["RUDP", "RUDPSim", "Impairment", "ImpairmentCLI", "SystemKit", "CLIKit"]),
        // The lossproxy front-ends (UDP relay, later the TUN link) around the impairment engine.
        .target(name: "ProxyKit", dependencies: ["Impairment", "ImpairmentCLI", "SystemKit", "CLIKit"], swiftSettings: perPacketCode),
        .executableTarget(name: "rudp-send", dependencies: ["RUDP", "SystemKit", "RUDPNet", "CLIKit"]),
        .executableTarget(name: "rudp-recv", dependencies: ["RUDP", "SystemKit", "RUDPNet", "CLIKit"]),
        .executableTarget(name: "lossproxy", dependencies: ["ProxyKit", "Impairment", "SystemKit", "CLIKit"]),
        .executableTarget(name: "rudp-lab", dependencies: ["RUDP", "RUDPSim", "Impairment", "ImpairmentCLI", "SystemKit", "RUDPNet", "CLIKit", "LabKit"]),
        .testTarget(name: "RUDPTests", dependencies: ["RUDP", "RUDPSim", "Impairment"]),
        .testTarget(name: "ImpairmentTests", dependencies: ["Impairment"]),
        .testTarget(name: "ImpairmentCLITests", dependencies: ["ImpairmentCLI", "Impairment", "CLIKit"]),
        .testTarget(name: "SystemKitTests", dependencies: ["SystemKit"]),
        .testTarget(name: "RUDPNetTests", dependencies: ["RUDPNet", "SystemKit", "RUDP"]),
        .testTarget(name: "CLIKitTests", dependencies: ["CLIKit"]),
        .testTarget(name: "LabKitTests", dependencies: ["LabKit", "RUDPSim", "RUDP", "CLIKit"]),
        .testTarget(name: "ProxyKitTests", dependencies: ["ProxyKit", "Impairment", "SystemKit", "CLIKit"]),
        .testTarget(name: "EndToEndTests", dependencies: ["RUDP", "SystemKit", "CLIKit"]),
    ],
    swiftLanguageModes: [.v6]
)
