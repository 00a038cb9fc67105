import CLIKit
import Foundation
import Impairment
import Testing

@testable import ProxyKit

/// `lossproxy link`'s command line, its plumbing commands, locks and reports: everything that
/// needs no privilege.
@Suite("TUN link: command line, plumbing commands, locks, reports")
struct LinkCommandTests {
    private let command = LinkCommand()

    private func invocation(_ arguments: [String]) throws -> LinkCommand.Invocation {
        try command.parse(["lossproxy link"] + arguments)
    }

    @Test func theMinimalCommandLineUsesTheDefaultAddresses() throws {
        let run = try invocation(["--ns-a", "left", "--ns-b", "right"])
        let configuration = run.configuration
        #expect(configuration.namespaceA == "left" && configuration.namespaceB == "right")
        #expect(configuration.addressA.description == "10.77.0.1/24")
        #expect(configuration.addressB.description == "10.77.0.2/24")
        #expect(configuration.forward.isIdentity && configuration.reverse.isIdentity)
        #expect(configuration.forward.rateOverhead == 0)
        #expect(run.seedWasRandom && !run.json && !run.quiet)
        #expect(configuration.statisticsInterval == nil)
    }

    @Test func impairmentsAndOptionsReachTheConfiguration() throws {
        let run = try invocation([
            "--ns-a", "a", "--ns-b", "b", "--addr-a", "fd00::1/64", "--addr-b", "fd00::2/64", "--delay", "10ms",
            "--reverse-loss", "3%", "--corrupt", "1%", "--seed", "42", "--stats", "1s", "--json", "--quiet",
        ])
        let configuration = run.configuration
        #expect(configuration.addressA.description == "fd00::1/64" && configuration.addressB.address == "fd00::2")
        #expect(configuration.forward.delay == 10_000_000 && configuration.reverse.delay == 10_000_000)
        #expect(configuration.forward.loss == 0 && configuration.reverse.loss == 0.03)
        #expect(configuration.forward.corrupt == 0.01)
        #expect(configuration.seed == 42 && !run.seedWasRandom)
        #expect(configuration.statisticsInterval == 1_000_000_000)
        #expect(run.json && run.quiet)
    }

    @Test(arguments: [
        (["--ns-b", "b"], "lossproxy link: missing required option --ns-a NAME (see 'lossproxy link --help')"),
        (["--ns-a", "x", "--ns-b", "x"], "lossproxy link: --ns-a and --ns-b are both 'x'; a link needs two namespaces"),
        (["--ns-a", "-x", "--ns-b", "b"], nil),
        (["--ns-a", "a/b", "--ns-b", "b"], nil),
        (["--ns-a", "a", "--ns-b", "b", "--addr-a", "10.0.0.1"], nil),
        (["--ns-a", "a", "--ns-b", "b", "--addr-a", "10.0.0.1/33"], nil),
        (["--ns-a", "a", "--ns-b", "b", "--addr-a", "fd00::1/64"],
         "lossproxy link: --addr-a fd00::1/64 and --addr-b 10.77.0.2/24 are of different families; give both IPv4 or both IPv6"),
        (["--ns-a", "a", "--ns-b", "b", "--addr-b", "10.77.0.1/16"],
         "lossproxy link: --addr-a and --addr-b are both 10.77.0.1; each side needs its own address"),
        (["--ns-a", "a", "--ns-b", "b", "--queue", "10"], nil),
    ] as [([String], String?)])
    func mistakesAreUsageErrors(arguments: [String], expected: String?) {
        let message = usageErrorMessage { try invocation(arguments) }
        #expect(message != nil, "accepted \(arguments)")
        #expect(message?.hasPrefix("lossproxy link: ") == true, "\(message ?? "")")
        if let expected { #expect(message == expected) }
    }

    @Test func theHelpExplainsTheLinkDirectionsAndCorruption() throws {
        let help = command.spec.helpText
        #expect(help.contains("forward: A to B; reverse: B to A"))
        #expect(!help.contains("client to server"))
        #expect(help.contains("leaves the checksums alone"))
        #expect(help.contains("--addr-a CIDR"))
    }

    @Test func interfaceAddressesParseAndCompare() throws {
        let a = try InterfaceAddress.parse("10.77.0.1/24")
        #expect(a.family == .ipv4 && a.bytes == [10, 77, 0, 1] && a.prefixLength == 24)
        #expect(a.contains(try InterfaceAddress.parse("10.77.0.200/32")))
        #expect(!a.contains(try InterfaceAddress.parse("10.77.1.2/24")))
        #expect(try InterfaceAddress.parse("10.77.0.1/23").contains(try InterfaceAddress.parse("10.77.1.2/24")))
        #expect(try InterfaceAddress.parse("192.168.1.1/0").contains(try InterfaceAddress.parse("10.0.0.1/8")))
        #expect(a.hostRoute == "10.77.0.1/32")
        let v6 = try InterfaceAddress.parse("FD00:0:0::0001/64")
        #expect(v6.description == "fd00::1/64" && v6.hostRoute == "fd00::1/128")
        #expect(v6.contains(try InterfaceAddress.parse("fd00::ffff/128")))
        #expect(!v6.contains(try InterfaceAddress.parse("fd01::1/64")))
        #expect(!v6.contains(a))
        for bad in ["10.77.0.1", "10.77.0/24", "10.77.0.1/", "/24", "fd00::1/129", "10.0.0.1/-1", "host/24"] {
            #expect(throws: ValueError.self, "\(bad)") { try InterfaceAddress.parse(bad) }
        }
    }

    @Test func deviceNamesFitAndDifferPerPair() {
        let names = LinkConfiguration(namespaceA: "left", namespaceB: "right").deviceNames
        #expect(names.a.count <= 15 && names.b.count <= 15)
        #expect(names.a.hasPrefix("lpa-") && names.b.hasPrefix("lpb-") && names.a.dropFirst(4) == names.b.dropFirst(4))
        #expect(LinkConfiguration(namespaceA: "left", namespaceB: "right").deviceNames == names)
        #expect(LinkConfiguration(namespaceA: "right", namespaceB: "left").deviceNames != names)
        let longest = String(repeating: "n", count: LinkConfiguration.maximumNamespaceLength)
        #expect(LinkConfiguration(namespaceA: longest, namespaceB: longest + "x").deviceNames.a.count == 12)
    }

    @Test func eachSideIsConfiguredWithoutIPv6ChatterAndWithARouteToItsPeer() throws {
        let sameSubnet = LinkPlumbing.interfaceCommands(
            device: "lpa-1", address: .defaultA, peer: .defaultB)
        #expect(sameSubnet == [
            "link set lpa-1 addrgenmode none", "addr add 10.77.0.1/24 dev lpa-1", "link set lpa-1 up", "link set lo up",
        ])
        let apart = LinkPlumbing.interfaceCommands(
            device: "lpb-1", address: try InterfaceAddress.parse("fd00:1::2/64"),
            peer: try InterfaceAddress.parse("fd00:2::1/64"))
        #expect(apart.contains("addr add fd00:1::2/64 dev lpb-1 nodad"))
        #expect(apart.last == "route add fd00:2::1/128 dev lpb-1")
    }

    @Test func aNamespaceIsClaimedByOneLinkAtATime() throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("link-locks-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = try NamespaceLock(namespace: "left", directory: directory)
        do {
            _ = try NamespaceLock(namespace: "left", directory: directory)
            Issue.record("a second claim on 'left' succeeded")
        } catch {
            #expect(error.message.contains("'left' is already joined by a running lossproxy link (pid \(getpid()))"))
        }
        let other = try NamespaceLock(namespace: "right", directory: directory)
        first.release()
        #expect(!FileManager.default.fileExists(atPath: directory + "/link-left.lock"))
        let again = try NamespaceLock(namespace: "left", directory: directory)
        again.release()
        other.release()
    }

    @Test func capabilitiesAreReadFromProcStatus() {
        let status = "Name:\tlossproxy\nCapInh:\t0000000000000000\nCapEff:\t0000000000201000\nCapBnd:\t000001ffffffffff\n"
        let capabilities = LinkRequirements.effectiveCapabilities(statusText: status)
        #expect(capabilities == 0x20_1000)
        #expect(capabilities.map { $0 & (1 << LinkRequirements.netAdminCapability) != 0 } == true)
        #expect(capabilities.map { $0 & (1 << LinkRequirements.sysAdminCapability) != 0 } == true)
        #expect(LinkRequirements.effectiveCapabilities(statusText: "Name:\tx\n") == nil)
    }

    @Test func reportsAreTheRelaysWithoutClients() throws {
        var report = LinkStatistics()
        report.elapsed = 2_500_000_000
        report.isFinal = true
        report.forward.impairment.received = 10
        report.forward.impairment.droppedLoss = 2
        report.forward.impairment.corrupted = 1
        report.forward.sent = 8
        let json = report.json.jsonText
        #expect(json.hasPrefix(#"{"seconds":2.5,"final":true,"forward":{"in":10,"out":8,"dropped":2,"#))
        #expect(json.contains(#""corrupted":1"#))
        #expect(!json.contains("client"))
        let lines = report.humanLines(program: "lossproxy link", namespaceA: "a", namespaceB: "b")
        #expect(lines.count == 2)
        #expect(lines[0].hasPrefix("lossproxy link [total after 2.5 s] forward a → b: in 10, out 8, dropped 2 (loss 2)"))
        #expect(lines[1].hasPrefix("lossproxy link [total after 2.5 s] reverse b → a: in 0, out 0"))
    }
}
