/// The receiver's reassembly store: one fixed slot per window position, allocated on accept.
/// Packet index `i` lives in slot `i % slotCount`.
struct ReceiveBuffer {
    let slotCount: Int
    let stride: Int
    private let storage: UnsafeMutableRawBufferPointer
    private var lengths: [Int]
    private var present: [Bool]

    init(slotCount: Int, stride: Int) {
        self.slotCount = slotCount
        self.stride = stride
        storage = UnsafeMutableRawBufferPointer.allocate(byteCount: max(slotCount * stride, 1), alignment: 16)
        lengths = Array(repeating: 0, count: slotCount)
        present = Array(repeating: false, count: slotCount)
    }

    func deallocate() { storage.deallocate() }

    @inline(__always) private func position(_ index: UInt64) -> Int { Int(index % UInt64(slotCount)) }

    func contains(_ index: UInt64) -> Bool { present[position(index)] }

    mutating func store(_ index: UInt64, _ bytes: UnsafeRawBufferPointer) {
        let slot = position(index)
        UnsafeMutableRawBufferPointer(rebasing: storage[(slot * stride)..<(slot * stride + bytes.count)])
            .copyMemory(from: bytes)
        lengths[slot] = bytes.count
        present[slot] = true
    }

    func payload(_ index: UInt64) -> UnsafeRawBufferPointer {
        let slot = position(index)
        return UnsafeRawBufferPointer(rebasing: storage[(slot * stride)..<(slot * stride + lengths[slot])])
    }

    mutating func release(_ index: UInt64) { present[position(index)] = false }
}
