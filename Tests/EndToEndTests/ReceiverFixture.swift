import Foundation

/// A scratch directory holding an `in` directory and an `rudp-recv` that writes into it;
/// `finish()` stops the receiver, then removes the directory.
final class ReceiverFixture {
    let scratch: ScratchDirectory
    let incoming: URL
    let receiver: RunningReceiver

    init(receiverArguments: [String] = []) throws {
        scratch = try ScratchDirectory()
        incoming = scratch.file("in")
        do {
            try FileManager.default.createDirectory(at: incoming, withIntermediateDirectories: true)
            receiver = try RunningReceiver(directory: incoming, arguments: receiverArguments)
        } catch {
            scratch.remove()
            throw error
        }
    }

    /// The bytes of the file `name` the receiver saved.
    func received(_ name: String) throws -> Data { try Data(contentsOf: incoming.appendingPathComponent(name)) }

    /// Names in the incoming directory, temporary files included.
    func incomingContents() -> [String] { ScratchDirectory(existing: incoming).contents() }

    func finish() {
        receiver.stop()
        scratch.remove()
    }
}
