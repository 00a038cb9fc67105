/// `lossproxy link --rebind DUR`: a NAT at namespace A's side of the link that moves A's UDP and
/// TCP source ports to new ones every DUR, as a NAT rebinding does.
///
/// In epoch e (the number of intervals since the start) A's port p appears to B as
/// `p + e × stride` (ports from 1024 up, modulo the 64,512 of them; epoch 0 changes nothing).
/// Packets from A get their source port rewritten, packets from B to a port A's current mapping
/// holds get their destination port rewritten back; what B sends to an earlier mapping is
/// dropped, as a NAT drops what arrives for a mapping it forgot. TCP and UDP checksums are
/// updated incrementally (RFC 1624), so the receiving kernels accept the packets. IPv4 (first
/// fragments and unfragmented packets) and IPv6 without extension headers are rewritten; other
/// packets pass unchanged.
struct PortRebinding {
    /// How far the mapping moves each epoch: prime, so that successive mappings never repeat
    /// within the 64,512 ports.
    static let stride = 7_919
    static let firstPort = 1_024
    static let portCount = 65_536 - 1_024

    let interval: UInt64
    private(set) var epoch: UInt64 = 0
    /// A's ports seen since the start: a packet from B may only be for one of them.
    private var portsOfA = Set<UInt16>()
    /// Epoch changes so far (a rebind counts once, however many flows it moves).
    private(set) var rebinds = 0
    /// Packets from B for a mapping that no longer exists, dropped.
    private(set) var droppedForOldMappings = 0

    init(interval: UInt64) { self.interval = interval }

    /// Moves to the epoch of `elapsed` nanoseconds since the start.
    mutating func advance(elapsed: UInt64) {
        let now = elapsed / interval
        guard now > epoch else { return }
        rebinds += Int(now - epoch)
        epoch = now
    }

    /// When the next epoch begins, in nanoseconds since the start.
    var nextChange: UInt64 { (epoch + 1) * interval }

    func translated(_ port: UInt16, epoch: UInt64) -> UInt16 {
        guard Int(port) >= Self.firstPort, epoch > 0 else { return port }
        let shift = Int((epoch % UInt64(Self.portCount)) * UInt64(Self.stride) % UInt64(Self.portCount))
        return UInt16((Int(port) - Self.firstPort + shift) % Self.portCount + Self.firstPort)
    }

    func original(_ port: UInt16) -> UInt16 {
        guard Int(port) >= Self.firstPort, epoch > 0 else { return port }
        let shift = Int((epoch % UInt64(Self.portCount)) * UInt64(Self.stride) % UInt64(Self.portCount))
        return UInt16((Int(port) - Self.firstPort - shift + 2 * Self.portCount) % Self.portCount + Self.firstPort)
    }

    /// Rewrites the source port of a packet from A in place.
    mutating func rewriteFromA(_ packet: UnsafeMutableRawBufferPointer) {
        guard let transport = TransportHeader(packet) else { return }
        let port = transport.port(in: packet, at: 0)
        portsOfA.insert(port)
        transport.setPort(translated(port, epoch: epoch), in: packet, at: 0)
    }

    /// Rewrites the destination port of a packet from B in place; false if it is for a mapping
    /// that no longer holds (drop it).
    mutating func rewriteFromB(_ packet: UnsafeMutableRawBufferPointer) -> Bool {
        guard epoch > 0, let transport = TransportHeader(packet) else { return true }
        let port = original(transport.port(in: packet, at: 2))
        guard portsOfA.contains(port) else {
            droppedForOldMappings += 1
            return false
        }
        transport.setPort(port, in: packet, at: 2)
        return true
    }
}

/// Where a UDP or TCP header starts in an IP packet, and where its checksum is.
struct TransportHeader {
    let offset: Int
    /// Offset of the checksum within the transport header (TCP 16, UDP 6).
    let checksumOffset: Int
    let isUDP: Bool

    init?(_ packet: UnsafeMutableRawBufferPointer) {
        guard let first = packet.first else { return nil }
        let protocolNumber: UInt8
        switch first >> 4 {
        case 4:
            let headerLength = Int(first & 0x0F) * 4
            guard headerLength >= 20, packet.count >= headerLength + 8 else { return nil }
            let fragmentOffset = (Int(packet[6] & 0x1F) << 8) | Int(packet[7])
            guard fragmentOffset == 0 else { return nil }
            protocolNumber = packet[9]
            offset = headerLength
        case 6:
            guard packet.count >= 48 else { return nil }
            protocolNumber = packet[6]
            offset = 40
        default:
            return nil
        }
        switch protocolNumber {
        case TransportPayload.tcp:
            guard packet.count >= offset + 18 else { return nil }
            checksumOffset = 16
            isUDP = false
        case TransportPayload.udp:
            checksumOffset = 6
            isUDP = true
        default:
            return nil
        }
    }

    func port(in packet: UnsafeMutableRawBufferPointer, at field: Int) -> UInt16 {
        UInt16(packet[offset + field]) << 8 | UInt16(packet[offset + field + 1])
    }

    /// Sets a port and updates the checksum for the change (RFC 1624: HC' = ~(~HC + ~m + m')).
    /// A UDP checksum of 0 (none, over IPv4) stays 0.
    func setPort(_ port: UInt16, in packet: UnsafeMutableRawBufferPointer, at field: Int) {
        let old = self.port(in: packet, at: field)
        guard old != port else { return }
        packet[offset + field] = UInt8(port >> 8)
        packet[offset + field + 1] = UInt8(port & 0xFF)
        let at = offset + checksumOffset
        let checksum = UInt16(packet[at]) << 8 | UInt16(packet[at + 1])
        if isUDP && checksum == 0 { return }
        var sum = UInt32(~checksum) + UInt32(~old) + UInt32(port)
        sum = (sum & 0xFFFF) + (sum >> 16)
        sum = (sum & 0xFFFF) + (sum >> 16)
        var updated = ~UInt16(sum)
        if isUDP && updated == 0 { updated = 0xFFFF }
        packet[at] = UInt8(updated >> 8)
        packet[at + 1] = UInt8(updated & 0xFF)
    }
}
