import CLIKit
import ImpairmentCLI
import Impairment
import RUDP
import RUDPNet
import SystemKit
import RUDPSim

/// `rudp-lab bench-sim`: how many simulated packets per second of wall time the in-process
/// simulator moves, over a batch of whole transfers (handshake, data, teardown) on the
/// impairment engine's virtual-clock link. Exit 1 if any transfer fails to deliver its file,
/// since a fast simulator that gets the protocol wrong measures nothing.
enum BenchSimulatorCommand: LabCommand {
    static let name = "bench-sim"
    static let summary = "Measure the simulator's speed in simulated packets per second"

    static func run(_ commandLine: [String]) throws {
        var spec = CommandSpec(
            name: commandLine.first ?? "rudp-lab bench-sim", summary: summary + ".",
            discussion: """
            Runs TRANSFERS simulated transfers of SIZE each (seeds SEED, SEED+1, …) one after \
            the other in this process and times the batch with the monotonic clock; one \
            untimed transfer first warms caches and allocators. A simulated packet is a \
            datagram offered to the link in either direction (data, ACKs, handshake and \
            teardown), lost ones included. Build with -c release for a meaningful figure.
            """,
            usage: "rudp-lab bench-sim [--protocol P] [--size SIZE] [--transfers N] [--loss P] [--delay DUR] [--seed N] [--json]",
            examples: [
                HelpExample("rudp-lab bench-sim", "50 Selective Repeat transfers of 1 MB on a clean link"),
                HelpExample("rudp-lab bench-sim --loss 2% --delay 5ms --json", "a lossy link, JSON summary"),
            ])
        let protocolOption = spec.option(
            "protocol", short: "p", placeholder: "P", default: "sr",
            help: "sw (stop-and-wait), gbn (Go-Back-N) or sr (Selective Repeat)",
            parse: ValueParsers.choice(["sw", "gbn", "sr"]))
        let sizeOption = spec.option(
            "size", placeholder: "SIZE", default: "1MB", help: "File size of each simulated transfer",
            parse: { text in
                let size = try SizeValue.parse(text)
                guard size.bytes > 0, size.bytes <= UInt64(Int32.max) else {
                    throw ValueError("'\(text)' must be between 1 byte and 2 GiB")
                }
                return size
            })
        let transfersOption = spec.option(
            "transfers", short: "n", placeholder: "N", default: "50", help: "Timed transfers in the batch",
            parse: ValueParsers.integer(in: 1...1_000_000))
        let lossOption = spec.option(ImpairmentFlag.loss, default: "0", help: "Datagrams lost in each direction")
        let delayOption = spec.option(ImpairmentFlag.delay, default: "0ms", help: "One-way delay in each direction (virtual time)")
        let seedOption = spec.option(
            "seed", placeholder: "N", default: "1", help: "Seed of the first transfer", parse: ValueParsers.unsignedInteger)
        let jsonFlag = spec.flag("json", help: "Print one JSON object with the result on stdout")
        let arguments = try spec.parse(commandLine)

        let protocolName = arguments[protocolOption]
        guard let mode = TransferMode.allCases.first(where: { $0.description == protocolName }) else {
            preconditionFailure("the choice parser admitted an unknown protocol \(protocolName)")
        }
        var link = ImpairmentConfig()
        link.loss = arguments[lossOption].fraction
        link.delay = arguments[delayOption].nanoseconds
        do {
            try link.validate()
        } catch {
            throw UsageError(program: spec.name, message: "\(error)")
        }
        let size = Int(arguments[sizeOption].bytes)
        let transfers = arguments[transfersOption]
        let firstSeed = arguments[seedOption]
        func scenario(seed: UInt64) -> TransferScenario {
            var scenario = TransferScenario(mode: mode, size: size, seed: seed)
            scenario.impairBoth(link)
            return scenario
        }

        let warmup = TransferSimulation.run(scenario(seed: firstSeed &- 1))
        guard warmup.delivered else {
            throw RuntimeFailure("the warm-up transfer failed: \(scenario(seed: firstSeed &- 1).reproduction)")
        }
        var tally = SimulatorTally()
        let start = MonotonicClock.now()
        for index in 0..<transfers {
            let seed = firstSeed &+ UInt64(index)
            let outcome = TransferSimulation.run(scenario(seed: seed))
            guard outcome.delivered else {
                throw RuntimeFailure("simulated transfer \(index + 1) failed: \(scenario(seed: seed).reproduction)")
            }
            tally.add(outcome)
        }
        let seconds = Double(MonotonicClock.now() - start) / 1e9
        let packetsPerSecond = Double(tally.packets) / max(seconds, 1e-9)

        if arguments[jsonFlag] {
            let summary: JSONValue = [
                "protocol": .string(protocolName), "transfers": .integer(transfers), "size": .integer(size),
                "loss_percent": .double(arguments[lossOption].percent),
                "delay_ms": .double(Double(link.delay) / 1e6),
                "packets": .integer(tally.packets), "data_packets": .integer(tally.dataPackets),
                "retransmissions": .integer(tally.retransmissions), "seconds": .double(seconds),
                "packets_per_second": .double(packetsPerSecond),
                "virtual_seconds": .double(Double(tally.virtualNanoseconds) / 1e9),
            ]
            Console.out(summary.jsonText)
        } else {
            Console.out(
                "\(transfers) simulated \(protocolName) transfers of \(HumanFormat.bytes(UInt64(size))) "
                    + "(loss \(arguments[lossOption]), delay \(arguments[delayOption])): "
                    + "\(tally.packets) packets (\(tally.dataPackets) data, \(tally.retransmissions) resent) "
                    + "in \(HumanFormat.fixed(seconds, decimals: 3)) s = "
                    + "\(HumanFormat.fixed(packetsPerSecond / 1e6, decimals: 3)) M packets/s")
        }
    }
}

/// Totals over the timed batch of simulated transfers.
private struct SimulatorTally {
    /// Datagrams offered to the link, both directions.
    var packets = 0
    var dataPackets = 0
    var retransmissions = 0
    var virtualNanoseconds: UInt64 = 0

    mutating func add(_ outcome: TransferOutcome) {
        packets += outcome.forwardStatistics.received + outcome.reverseStatistics.received
        dataPackets += outcome.senderStatistics.dataPacketsSent
        retransmissions += outcome.senderStatistics.retransmissions
        virtualNanoseconds += outcome.endTime
    }
}
