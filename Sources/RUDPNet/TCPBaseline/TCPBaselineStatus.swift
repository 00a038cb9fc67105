import SystemKit
import RUDP

/// A STATUS message of the TCP baseline: acceptance, the final confirmation, or why not.
struct TCPBaselineStatus: Equatable {
    /// nil for success (code 0); otherwise why the server refused or stopped the transfer.
    var failure: ResetCode?
    var message: String

    /// The reply to an acceptable HEADER, and the confirmation of a saved file.
    static let success = TCPBaselineStatus(failure: nil, message: "")

    static func failed(_ code: ResetCode, _ message: String) -> TCPBaselineStatus {
        TCPBaselineStatus(failure: code, message: message)
    }

    /// The wire form; a message longer than the limit is cut at a whole character.
    func encoded() -> [UInt8] {
        var text = message
        while text.utf8.count > TCPBaselineFraming.maxMessageLength { text.removeLast() }
        var bytes: [UInt8] = [failure.map(TCPBaselineFraming.statusCode(for:)) ?? 0]
        TCPBaselineFraming.append(UInt16(text.utf8.count), to: &bytes)
        bytes.append(contentsOf: text.utf8)
        return bytes
    }

    /// Decodes a STATUS at the start of `bytes`: the status and the bytes it took, or nil
    /// while incomplete. A message longer than the limit breaks the framing.
    static func decode(_ bytes: UnsafeRawBufferPointer) throws(TCPFramingError) -> (TCPBaselineStatus, Int)? {
        guard bytes.count >= TCPBaselineFraming.statusPrefixLength else { return nil }
        let code = bytes[0]
        let length = Int(TCPBaselineFraming.load(UInt16.self, bytes, at: 1))
        guard length <= TCPBaselineFraming.maxMessageLength else {
            throw TCPFramingError("status message of \(length) bytes (at most \(TCPBaselineFraming.maxMessageLength))")
        }
        let total = TCPBaselineFraming.statusPrefixLength + length
        guard bytes.count >= total else { return nil }
        let message = String(decoding: bytes[TCPBaselineFraming.statusPrefixLength..<total], as: UTF8.self)
        let failure = code == 0 ? nil : TCPBaselineFraming.resetCode(forStatus: code)
        return (TCPBaselineStatus(failure: failure, message: message), total)
    }
}
