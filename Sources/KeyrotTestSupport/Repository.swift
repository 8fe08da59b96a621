import Foundation

/// Files of this repository that tests use as they are shipped: the units and catalog in `systemd/`, the
/// harness scripts in `Tests/Harness/`.
public enum Repository {
    /// The repository's root, found from this file's place in it.
    public static var root: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
    }

    /// The absolute path of `relativePath` in the repository.
    public static func path(_ relativePath: String) -> String {
        root.appending(path: relativePath).path(percentEncoded: false)
    }

    /// Whether the tests run as root: the journald harness, mount namespaces and socket ownership need it.
    public static var runningAsRoot: Bool { getuid() == 0 }
}
