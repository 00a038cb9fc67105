/// A file system path as the bytes the kernel takes: any bytes but NUL, not necessarily UTF-8
/// (a Swift `String` cannot hold `caf\xE9.txt`, a Latin-1 name on a Linux disk).
public struct FilePath: Sendable, Hashable {
    /// The path's bytes, without a terminating NUL.
    public let bytes: [UInt8]

    public init(bytes: [UInt8]) { self.bytes = bytes }

    public init(_ text: String) { bytes = Array(text.utf8) }

    /// `component` inside this directory (which may or may not end in a slash).
    public func appending(_ component: some Sequence<UInt8>) -> FilePath {
        FilePath(bytes: bytes.last == UInt8(ascii: "/") ? bytes + component : bytes + [UInt8(ascii: "/")] + component)
    }

    /// `component` inside this directory.
    public func appending(_ component: String) -> FilePath { appending(component.utf8) }

    /// The last component, trailing slashes ignored; the whole path when it has none (`/`).
    public var lastComponent: [UInt8] {
        let components = bytes.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true)
        return components.last.map(Array.init) ?? bytes
    }

    /// The path as text when it is valid UTF-8.
    public var text: String? { String(validating: bytes, as: UTF8.self) }

    /// Calls `body` with the path as a NUL-terminated C string.
    func withCString<Result>(_ body: (UnsafePointer<CChar>) -> Result) -> Result {
        (bytes + [0]).withUnsafeBufferPointer { buffer in
            buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) { body($0) }
        }
    }
}
