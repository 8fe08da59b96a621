import KeyrotCore

/// What a sealed blob belongs to. Its bytes are the AES-GCM associated data, so a blob opens only in the
/// context it was sealed for: a key's material moved to another key's row fails authentication.
public enum SealingContext: Sendable {
    /// The material of key `keyID` of `workspace`.
    case key(workspace: WorkspaceName, keyID: String)
    /// The database's master-key canary.
    case canary

    var associatedData: [UInt8] {
        switch self {
        case .key(let workspace, let keyID): Array("keyrotd/key/v1\u{0}\(workspace.rawValue)\u{0}\(keyID)".utf8)
        case .canary: Array("keyrotd/canary/v1".utf8)
        }
    }
}
