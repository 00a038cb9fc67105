import Impairment

extension ImpairmentPipeline {
    /// Submits an IP packet read from a link device with the offset of its transport payload
    /// (`TransportPayload`), so that the corruption stage spares every header and checksum.
    @inline(__always)
    func submit(ipPacket packet: UnsafeRawBufferPointer, now: UInt64) {
        submit(packet, tag: 0, now: now, corruptOffset: TransportPayload.offset(in: packet))
    }
}
