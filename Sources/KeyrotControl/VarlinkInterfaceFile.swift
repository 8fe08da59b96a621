import Foundation

/// A varlink interface definition (`*.varlink`) embedded in the binary at build time: the contract clients read
/// with `org.varlink.service.GetInterfaceDescription`.
public struct VarlinkInterfaceFile: Hashable, Sendable {
    public let fileName: String
    public let contents: String

    public init(fileName: String, contents: String) {
        self.fileName = fileName
        self.contents = contents
    }

    /// The interface name its `interface` line declares, e.g. `io.keyrotd`.
    public var name: String {
        let line = contents.split(separator: "\n").first { $0.hasPrefix("interface ") } ?? ""
        return line.dropFirst("interface ".count).trimmingCharacters(in: .whitespaces)
    }

    /// keyrotd's own interface, `io.keyrotd`.
    public static var keyrotd: VarlinkInterfaceFile {
        embedded.first { $0.fileName == "io.keyrotd.varlink" }!
    }
}
