import CLIKit
import LabKit
import SystemKit

/// `rudp-lab share-probe --to ADDR --interval DUR`: the queue probe `share` runs in namespace
/// A, a UDP ping on schedule whose lines are `QueueProbeInterface`'s; not listed in the help.
/// Each probe carries its sequence number and send time, so an answer needs no state to match.
enum ShareProbeCommand: LabCommand {
    static let name = QueueProbeInterface.command
    static let summary = "(internal) the queue probe of rudp-lab share"
    static let probeSize = 32

    static func run(_ commandLine: [String]) throws {
        var spec = CommandSpec(name: commandLine.first ?? "rudp-lab \(name)", summary: "Ping across the link (used by rudp-lab share)")
        let to = spec.option("to", placeholder: "ADDR", help: "The echo to ping", parse: ValueParsers.string)
        let interval = spec.option("interval", placeholder: "DUR", default: "10ms", help: "Time between probes",
                                   parse: { text in
                                       let value = try DurationValue.parse(text).nanoseconds
                                       guard value >= 1_000_000 else { throw ValueError("'\(text)' is below 1ms") }
                                       return value
                                   })
        let arguments = try spec.parse(commandLine)
        guard let target = arguments[to] else { throw UsageError(program: spec.name, message: "--to ADDR is required") }
        let address = try WhyUDPPeerSupport.address(target, listening: false, program: spec.name)
        let signals = try SignalNotifier.install()
        let socket = try UDPSocket(connectedTo: address)
        defer { socket.close() }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
        defer { buffer.deallocate() }
        let probe = UnsafeMutableRawBufferPointer.allocate(byteCount: probeSize, alignment: 8)
        defer { probe.deallocate() }
        probe.initializeMemory(as: UInt8.self, repeating: 0)
        var sequence: UInt64 = 0
        var nextSend = MonotonicClock.now()
        do {
            while true {
                let now = MonotonicClock.now()
                if now >= nextSend {
                    probe.storeBytes(of: sequence.bigEndian, toByteOffset: 0, as: UInt64.self)
                    probe.storeBytes(of: now.bigEndian, toByteOffset: 8, as: UInt64.self)
                    WhyUDPPeerSupport.send(UnsafeRawBufferPointer(probe), socket: socket, to: nil)
                    Console.out(QueueProbeInterface.sentLine(sequence: sequence, sentAt: now))
                    sequence += 1
                    // On schedule, not after the previous send: a late wake-up does not shift the rest.
                    nextSend += arguments[interval]
                    if nextSend < now { nextSend = now + arguments[interval] }
                }
                guard try WhyUDPPeerSupport.wait(for: socket.fileDescriptor, until: nextSend, signals: signals) else { continue }
                try WhyUDPPeerSupport.receiveAll(socket, buffer: buffer) { bytes, _ in
                    guard bytes.count == probeSize else { return }
                    let arrived = MonotonicClock.now()
                    let number = UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
                    let sentAt = UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
                    guard sentAt <= arrived else { return }
                    Console.out(QueueProbeInterface.rttLine(sequence: number, nanoseconds: arrived - sentAt))
                }
            }
        } catch is PeerStopped {
            return
        }
    }
}
