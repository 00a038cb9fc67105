import SystemKit

/// Where a proxy captures one direction's datagrams (`--pcap`): the capture, that direction's
/// recorder of what the engine did, and, for the relay's UDP payloads, the addresses they
/// travelled between (the link's IP packets carry their own: nil).
struct CaptureSite {
    let capture: PacketCapture
    let recorder: DatagramFateRecorder
    let addresses: (SocketAddress, SocketAddress)?

    /// A site of UDP payloads from `source` to `destination` (the relay's arrivals).
    init(_ capture: PacketCapture, _ recorder: DatagramFateRecorder, from source: SocketAddress, to destination: SocketAddress) {
        self.capture = capture
        self.recorder = recorder
        addresses = (source, destination)
    }

    /// A site of whole IP packets, written as they are (the link's both ways).
    init(ipPacketsOf capture: PacketCapture, _ recorder: DatagramFateRecorder) {
        self.capture = capture
        self.recorder = recorder
        addresses = nil
    }

    /// Records a datagram the pipeline was just given at `now`.
    func recordArrival(_ bytes: UnsafeRawBufferPointer, now: UInt64) {
        capture.recordArrival(recorder, bytes, addresses: addresses, now: now)
    }

    /// Records a datagram the pipeline is releasing at `now`, between the same addresses.
    func recordRelease(_ bytes: UnsafeRawBufferPointer, now: UInt64) {
        capture.recordRelease(recorder, bytes, addresses: addresses, now: now)
    }
}
