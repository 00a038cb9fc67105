/// The version every program of the lab reports for `--version`.
public enum RUDPLabVersion {
    /// Semantic version of the whole toolkit; the four programs share it.
    public static let current = "0.1.0"
}
