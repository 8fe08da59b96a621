import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// An exclusive `flock(2)` on `keyrotd.lock` in the state directory, held for as long as this value lives: one
/// keyrotd per database, and `keyrotd rekey` never beside a running daemon. The kernel drops it when the process
/// dies, however it dies, so a `kill -9` leaves nothing to clean up. The file holds the holder's pid, for the
/// message the next one gets.
final class StateDirectoryLock: Sendable {
    static let fileName = "keyrotd.lock"

    private let descriptor: Int32

    /// Takes the lock of `directory`, without waiting.
    /// - Throws: ``DaemonError/stateDirectoryInUse(path:holder:)`` when another process holds it.
    init(directory: String) throws(DaemonError) {
        let path = directory + "/" + Self.fileName
        var descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        if descriptor < 0, errno == EROFS || errno == EACCES {
            // A read-only state directory still locks (keyrotd then reports the store unhealthy, not this).
            descriptor = open(path, O_RDONLY | O_CLOEXEC)
        }
        guard descriptor >= 0 else {
            throw .stateDirectory(path: directory, problem: "cannot open \(path) (\(String(cString: strerror(errno))))")
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let holder = Self.readHolder(descriptor)
            close(descriptor)
            throw .stateDirectoryInUse(path: directory, holder: holder)
        }
        let pid = Array("\(getpid())\n".utf8)
        if ftruncate(descriptor, 0) == 0 { _ = pid.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) } }
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }

    private static func readHolder(_ descriptor: Int32) -> Int32? {
        var buffer = [UInt8](repeating: 0, count: 16)
        let count = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return nil }
        return Int32(
            String(decoding: buffer.prefix(count), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        )
    }
}
