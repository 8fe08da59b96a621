import Foundation

/// A varlink interface definition (`*.varlink`) embedded in the binary at build time: the contract clients read
/// with `org.varlink.service.GetInterfaceDescription`.
public struct VarlinkInterfaceFile: Hashable, Sendable {
    public let fileName: String
    public let contents: String
    /// The interface name its `interface` line declares, e.g. `io.keyrotd`.
    public let name: String

    public init(fileName: String, contents: String) {
        self.fileName = fileName
        self.contents = contents
        let line = contents.split(separator: "\n").first { $0.hasPrefix("interface ") } ?? ""
        name = line.dropFirst("interface ".count).trimmingCharacters(in: .whitespaces)
    }

    /// keyrotd's own interface, `io.keyrotd`.
    public static let keyrotd = embedded.first { $0.fileName == "io.keyrotd.varlink" }!
}
