/// DATA packets that came right behind their SYN, before the sender could prove its address
/// (its first flight): a few copies, held until it does and then replayed, acknowledged meanwhile.
///
/// They are what lets a congestion-controlled sender use the handshake's round trip: their ACK
/// returns with the SYN-ACK. Until the proof they go nowhere, so a spoofed SYN with a flight
/// behind it costs the receiver a bounded copy and no file, no reassembly buffer.
struct FirstFlightStash {
    /// Packets held at most: indices 0 ..< capacity.
    let capacity: UInt64
    private var datagrams: [[UInt8]?]
    /// Bytes held, for the endpoint's budget across connections.
    private(set) var bytes = 0
    /// Packets 0 ..< acknowledgedCount are all held.
    private(set) var acknowledgedCount: UInt64 = 0

    init(capacity: UInt64) {
        self.capacity = capacity
        datagrams = []
    }

    var isEmpty: Bool { bytes == 0 }

    /// Copies the datagram of packet `index`; the bytes it now holds more (0 if it was refused:
    /// outside the flight, held already, or over `room`).
    mutating func hold(index: UInt64, datagram: UnsafeRawBufferPointer, room: Int) -> Int {
        guard index < capacity, datagram.count <= room else { return 0 }
        if datagrams.isEmpty { datagrams = Array(repeating: nil, count: Int(capacity)) }
        guard datagrams[Int(index)] == nil else { return 0 }
        datagrams[Int(index)] = Array(datagram)
        bytes += datagram.count
        while acknowledgedCount < capacity && datagrams[Int(acknowledgedCount)] != nil { acknowledgedCount += 1 }
        return datagram.count
    }

    /// Every held datagram in packet order, emptying the stash.
    mutating func drain() -> [[UInt8]] {
        let held = datagrams.compactMap { $0 }
        datagrams = []
        bytes = 0
        return held
    }
}
