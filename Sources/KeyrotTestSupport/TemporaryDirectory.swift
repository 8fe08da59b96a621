import Foundation

/// A fresh directory under the system's temporary directory, for one test's files.
public struct TemporaryDirectory: Sendable {
    public let url: URL

    public init(function: String = #function) throws {
        // Short: a UNIX socket path inside must stay under 108 bytes.
        let name = "keyrotd-\(function.prefix { $0.isLetter || $0.isNumber }.prefix(24))-\(UUID().uuidString.prefix(8))"
        url = FileManager.default.temporaryDirectory.appending(path: name, directoryHint: .isDirectory)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    public var path: String { url.path(percentEncoded: false) }

    /// The path of `name` inside the directory.
    public func path(_ name: String) -> String { url.appending(path: name).path(percentEncoded: false) }

    /// Removes the directory and everything in it.
    public func remove() {
        try? FileManager.default.removeItem(at: url)
    }
}
