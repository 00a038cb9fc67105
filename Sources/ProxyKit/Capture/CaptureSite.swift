import SystemKit

/// Where the relay captures one direction's arrivals (`--pcap`): the capture, that direction's
/// recorder of what the engine did, and the addresses the datagrams travelled between.
struct CaptureSite {
    let capture: PacketCapture
    let recorder: DatagramFateRecorder
    let addresses: (SocketAddress, SocketAddress)

    init(_ capture: PacketCapture, _ recorder: DatagramFateRecorder, from source: SocketAddress, to destination: SocketAddress) {
        self.capture = capture
        self.recorder = recorder
        addresses = (source, destination)
    }

    /// Records a datagram the pipeline was just given at `now`.
    func recordArrival(_ bytes: UnsafeRawBufferPointer, now: UInt64) {
        capture.recordArrival(recorder, bytes, addresses: addresses, now: now)
    }
}
