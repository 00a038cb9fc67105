// Big-endian field access on raw buffers. Callers check lengths first (PacketView.decode does, once).

extension UnsafeRawBufferPointer {
    @inlinable func readBigEndian<T: FixedWidthInteger>(_ offset: Int, as type: T.Type) -> T {
        T(bigEndian: loadUnaligned(fromByteOffset: offset, as: T.self))
    }
}

extension UnsafeMutableRawBufferPointer {
    @inlinable func writeBigEndian<T: FixedWidthInteger>(_ value: T, at offset: Int) {
        storeBytes(of: value.bigEndian, toByteOffset: offset, as: T.self)
    }
}
