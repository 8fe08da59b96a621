/// Someone a workspace lets sign and verify: a user by uid (`uid:1001`) or the members of a group by name
/// (`group:webapp`).
public enum Principal: Hashable, Sendable, CustomStringConvertible {
    case uid(UInt32)
    case group(String)

    /// Parses `uid:N` or `group:NAME`.
    public init(_ text: String) throws(KeyrotError) {
        if text.hasPrefix("uid:"), let uid = UInt32(text.dropFirst(4)) {
            self = .uid(uid)
        } else if text.hasPrefix("group:"), let name = Optional(text.dropFirst(6)), !name.isEmpty,
            name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) })
        {
            self = .group(String(name))
        } else {
            throw .invalidPolicy("signer \"\(text)\" must be uid:NUMBER or group:NAME")
        }
    }

    public var description: String {
        switch self {
        case .uid(let uid): "uid:\(uid)"
        case .group(let name): "group:\(name)"
        }
    }
}
