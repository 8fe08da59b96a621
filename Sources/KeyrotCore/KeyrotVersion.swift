/// keyrotd's release: what `--version` prints, varlink's `GetInfo` answers, and the Debian package is numbered by
/// (Packaging/build-deb reads it from this file).
public enum KeyrotVersion {
    public static let current = "0.9.0"
}
