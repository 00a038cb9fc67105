import CLIKit
import SystemKit

/// Decides whether a file name a sender proposed is safe to create inside the output directory.
public enum FileNamePolicy {
    public static let maxLength = 255

    /// The name as a String if it is safe; otherwise the one-line reason it is refused.
    public static func validate(_ name: [UInt8]) -> Result<String, FileNameRefusal> {
        let shown = printable(name)
        if name.isEmpty { return .failure(FileNameRefusal(message: "the file name is empty")) }
        if name == [0x2E] || name == [0x2E, 0x2E] {
            return .failure(FileNameRefusal(message: "file name '\(shown)' is refused: it names a directory"))
        }
        if name.count > maxLength {
            return .failure(FileNameRefusal(message: "file name is refused: \(name.count) bytes long (at most \(maxLength))"))
        }
        for byte in name {
            let why: String? = switch byte {
            case 0x2F: "it contains '/' (no paths: the receiver writes only inside its directory)"
            case 0x5C: "it contains a backslash"
            case 0x00: "it contains a NUL byte"
            case 0x01..<0x20, 0x7F: "it contains a control character"
            default: nil
            }
            if let why { return .failure(FileNameRefusal(message: "file name '\(shown)' is refused: \(why)")) }
        }
        guard let text = String(validating: name, as: UTF8.self) else {
            return .failure(FileNameRefusal(message: "file name '\(shown)' is refused: it is not valid UTF-8 "
                + "(the receiver keeps names as UTF-8 text; choose another with --name)"))
        }
        if text.unicodeScalars.contains(where: TerminalText.isControl) {
            return .failure(FileNameRefusal(message: "file name '\(shown)' is refused: it contains a control character"))
        }
        if AbandonedTemporaryFiles.isInTemporaryNamespace(text) {
            // A later receiver would take the saved file for one a killed receiver left, and remove it.
            return .failure(FileNameRefusal(message: "file name '\(shown)' is refused: names of the form "
                + "\(AbandonedTemporaryFiles.prefix)*\(AbandonedTemporaryFiles.suffix) are the receiver's temporary files"))
        }
        return .success(text)
    }

    /// The name with anything unprintable (or not UTF-8) escaped, safe to show on a terminal;
    /// long names are cut to their first 80 bytes.
    public static func printable(_ name: [UInt8]) -> String {
        let out = TerminalText.escaping(name.prefix(80))
        return name.count > 80 ? out + "…" : out
    }
}

/// Why a proposed file name was refused (one line, sent to the sender).
public struct FileNameRefusal: Error, Equatable, Sendable, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
