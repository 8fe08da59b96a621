import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A fresh directory under the system's temporary directory, for one test's files.
public struct TemporaryDirectory: Sendable {
    public let url: URL

    /// - Parameter inMemory: under `/dev/shm` (a tmpfs) when there is one: for tests that make thousands of
    ///   commits, whose `fsync`s would otherwise cost seconds. What they prove (a process killed at any moment
    ///   leaves a consistent database) does not depend on the disk.
    public init(function: String = #function, inMemory: Bool = false) throws {
        // Short: a UNIX socket path inside must stay under 108 bytes.
        let name = "keyrotd-\(function.prefix { $0.isLetter || $0.isNumber }.prefix(24))-\(UUID().uuidString.prefix(8))"
        let shm = URL(fileURLWithPath: "/dev/shm", isDirectory: true)
        let base =
            inMemory && FileManager.default.isWritableFile(atPath: shm.path)
            ? shm : FileManager.default.temporaryDirectory
        url = base.appending(path: name, directoryHint: .isDirectory)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    public var path: String { url.path(percentEncoded: false) }

    /// The path of `name` inside the directory.
    public func path(_ name: String) -> String { url.appending(path: name).path(percentEncoded: false) }

    /// Removes the directory and everything in it; under `$KEYROT_LEAK_CAPTURE`, moves it there instead, for
    /// the secret-leak sweep (``LeakSweep``) to read every log, output, journal and database the suite left.
    public func remove() {
        if let capture = ProcessInfo.processInfo.environment[LeakSweep.captureVariable] {
            let destination = URL(fileURLWithPath: capture, isDirectory: true).appending(path: url.lastPathComponent)
            try? FileManager.default.createDirectory(atPath: capture, withIntermediateDirectories: true)
            // Sockets cannot be copied across file systems; they hold nothing anyway.
            if let files = FileManager.default.enumerator(atPath: path) {
                for case let name as String in files where Self.isSocket(path(name)) { unlink(path(name)) }
            }
            if (try? FileManager.default.moveItem(at: url, to: destination)) != nil { return }
        }
        try? FileManager.default.removeItem(at: url)
    }

    private static func isSocket(_ path: String) -> Bool {
        var status = stat()
        return lstat(path, &status) == 0 && (status.st_mode & S_IFMT) == S_IFSOCK
    }
}
