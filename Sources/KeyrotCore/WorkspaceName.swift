/// The name of a workspace (tenant): 1 to 64 of `a-z 0-9 - _`, starting with a letter or digit.
///
/// The alphabet keeps names safe in key ids, journal fields, file names and shell commands alike.
public struct WorkspaceName: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let rawValue: String

    public init(_ rawValue: String) throws(KeyrotError) {
        let bytes = Array(rawValue.utf8)
        let allowed: (UInt8) -> Bool = {
            ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D || $0 == 0x5F
        }
        guard (1...64).contains(bytes.count), bytes.allSatisfy(allowed), bytes[0] != 0x2D, bytes[0] != 0x5F else {
            throw .invalidWorkspaceName(rawValue)
        }
        self.rawValue = rawValue
    }

    public static func < (lhs: WorkspaceName, rhs: WorkspaceName) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String { rawValue }
}
