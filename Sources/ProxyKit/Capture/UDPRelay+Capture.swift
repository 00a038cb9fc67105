import Impairment
import SystemKit

extension UDPRelay {
    /// As `submit(_:to:tag:now:)`, recording each datagram and what the engine did to it in
    /// `capture` (`--pcap`), with the addresses it travelled between.
    static func submit(_ run: DatagramRun, to pipeline: ImpairmentPipeline, tag: UInt64, now: UInt64,
                       capture: PacketCapture, recorder: DatagramFateRecorder,
                       from source: SocketAddress, to destination: SocketAddress) {
        guard !run.bytes.isEmpty else {
            pipeline.submit(run.bytes, tag: tag, now: now)
            capture.recordArrival(recorder, run.bytes, addresses: (source, destination), now: now)
            return
        }
        for datagram in run {
            pipeline.submit(datagram, tag: tag, now: now)
            capture.recordArrival(recorder, datagram, addresses: (source, destination), now: now)
        }
    }
}
