#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Testing
@testable import SystemKit

/// A loopback socket and its receiver, coalescing (UDP GRO) unless `receiveOffload` is false;
/// made before anything is sent, since the kernel coalesces only what arrives after.
private func makeReceiver(receiveOffload: Bool = true) throws -> BatchReceiver {
    BatchReceiver(socket: try UDPSocket(bindingTo: .loopback(.ipv4, port: 0)), receiveOffload: receiveOffload)
}

/// The datagram count of every buffer the kernel hands `receiver` within a short wait: a run
/// sent with segmentation offload arrives on a coalescing socket as one buffer of many.
private func receivedRuns(by receiver: BatchReceiver, expecting datagrams: Int) throws -> [Int] {
    let socket = receiver.socket
    var runs: [Int] = []
    let end = deadline(inMilliseconds: 2_000)
    while runs.reduce(0, +) < datagrams {
        guard try Poller.wait(for: socket.fileDescriptor, interest: .readable, until: end).contains(.readable) else { break }
        try receiver.receiveRuns { run, _ in runs.append(run.count) }
    }
    return runs
}

/// Sends `count` 1,000-byte datagrams through a `SegmentingSender` to `destination`.
private func sendRun(_ count: Int, to destination: SocketAddress, useOffload: Bool) throws -> SegmentingSender {
    let sender = SegmentingSender(socket: try UDPSocket(connectedTo: destination), useOffload: useOffload)
    for number in 0..<count {
        let space = try sender.reserve(capacity: 1_000)
        for index in 0..<1_000 { space[index] = UInt8(truncatingIfNeeded: number) }
        try sender.commit(length: 1_000)
    }
    try sender.flush()
    return sender
}

@Suite("Segmentation offload on and off (rudp-send/rudp-recv --no-gso, RUDP_NO_GSO)")
struct SegmentationOffloadTests {
    @Test("--no-gso or RUDP_NO_GSO set to anything but empty or 0 turns the offload off")
    func theSwitch() {
        #expect(SegmentationOffload.isEnabled(noGSO: false, environmentValue: nil))
        #expect(SegmentationOffload.isEnabled(noGSO: false, environmentValue: ""))
        #expect(SegmentationOffload.isEnabled(noGSO: false, environmentValue: "0"))
        #expect(!SegmentationOffload.isEnabled(noGSO: false, environmentValue: "1"))
        #expect(!SegmentationOffload.isEnabled(noGSO: false, environmentValue: "yes"))
        #expect(!SegmentationOffload.isEnabled(noGSO: true, environmentValue: nil))
        #expect(!SegmentationOffload.isEnabled(noGSO: true, environmentValue: "0"))
    }

    @Test("without the offload a segmenting sender makes one system call per datagram, and each arrives alone")
    func segmentingSenderWithoutOffload() throws {
        let receiver = try makeReceiver()
        let sender = try sendRun(12, to: receiver.socket.localAddress, useOffload: false)
        #expect(!sender.offloadAvailable)
        #expect(sender.systemCalls == 12 && sender.datagramsSent == 12)
        // The receiver allows coalescing, so only the sender can have kept the datagrams apart.
        #expect(try receivedRuns(by: receiver, expecting: 12) == Array(repeating: 1, count: 12))
    }

    @Test("with the offload the same datagrams leave in one system call and arrive as one run")
    func segmentingSenderWithOffload() throws {
        let receiver = try makeReceiver()
        let sender = try sendRun(12, to: receiver.socket.localAddress, useOffload: true)
        guard sender.offloadAvailable else {
            print("skipped: this kernel refuses UDP segmentation offload, so there is no contrast to show")
            return
        }
        #expect(sender.systemCalls == 1 && sender.datagramsSent == 12)
        #expect(try receivedRuns(by: receiver, expecting: 12) == [12])
    }

    @Test("a receiver without receive offload gets a segmented run one datagram at a time")
    func receiverWithoutOffload() throws {
        let receiver = try makeReceiver(receiveOffload: false)
        let sender = try sendRun(12, to: receiver.socket.localAddress, useOffload: true)
        #expect(sender.systemCalls == 1 || !sender.offloadAvailable)
        #expect(try receivedRuns(by: receiver, expecting: 12) == Array(repeating: 1, count: 12))
    }

    @Test("a send batch without the offload sends every datagram alone")
    func sendBatchWithoutOffload() throws {
        let receiver = try makeReceiver()
        let socket = try UDPSocket(connectedTo: receiver.socket.localAddress)
        for useOffload in [false, true] {
            let batch = SendBatch(useOffload: useOffload)
            var outcome = SendBatch.Outcome()
            let datagram = [UInt8](repeating: 7, count: 800)
            for _ in 0..<10 {
                datagram.withUnsafeBytes { batch.append($0, socket: socket, destination: nil, flow: 0, outcome: &outcome) }
            }
            batch.flush(into: &outcome)
            #expect(outcome.sent == 10 && outcome.failed == 0)
            let runs = try receivedRuns(by: receiver, expecting: 10)
            if useOffload {
                if batch.offloadAvailable { #expect(runs == [10]) }
            } else {
                #expect(runs == Array(repeating: 1, count: 10))
            }
        }
    }
}
