#if canImport(Glibc)
import Glibc
#endif

/// Which file a path names: its device and inode, to tell that a file was removed or replaced under an open
/// database (SQLite keeps writing to the old inode, so every later commit would be lost).
struct FileIdentity: Hashable, Sendable {
    var device: UInt64
    var inode: UInt64

    /// The identity of the file at `path` now, or nil if there is none.
    init?(path: String) {
        var status = stat()
        guard stat(path, &status) == 0 else { return nil }
        device = UInt64(status.st_dev)
        inode = UInt64(status.st_ino)
    }
}
