/// The domain errors of keyrotd: what a caller did that the rules do not allow.
///
/// - Important: Descriptions name workspaces, key ids and values from configuration, never key material.
public enum KeyrotError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidTimeSpan(String, reason: String)
    case invalidWorkspaceName(String)
    case invalidPolicy(String)
    case workspaceNotFound(String)
    case workspaceExists(String)
    case keyNotFound(workspace: String, keyID: String)
    case keyNotRevocable(keyID: String, state: KeyState)
    case keyNotActivatable(keyID: String, why: String)
    /// The workspace has no active key to sign with.
    case noSigningKey(workspace: String)
    case invalidTokenRequest(String)
    case invalidText(field: String)
    case keyIDTaken(String)
    case invalidKeyID(String)
    case secretTooShort(minimum: Int, actual: Int)
    /// The workspace's provider has no job of that kind for that key (done already, or never asked for).
    case providerJobNotFound(workspace: String, kind: String, keyID: String)
    /// The request concerns a provider, and the workspace has none.
    case noProvider(workspace: String)
    case invalidProviderSecretID(String)

    public var description: String {
        switch self {
        case .invalidTimeSpan(let text, let reason):
            "invalid time span \"\(text)\": \(reason)"
        case .invalidWorkspaceName(let name):
            "invalid workspace name \"\(name)\": use 1 to 64 of a-z, 0-9, '-' and '_', starting with a letter or digit"
        case .invalidPolicy(let reason):
            "invalid rotation policy: \(reason)"
        case .workspaceNotFound(let name):
            "no workspace named \"\(name)\""
        case .workspaceExists(let name):
            "a workspace named \"\(name)\" exists already"
        case .keyNotFound(let workspace, let keyID):
            "workspace \"\(workspace)\" has no key \"\(keyID)\""
        case .keyNotRevocable(let keyID, let state):
            "key \"\(keyID)\" is \(state.rawValue): it verifies nothing already"
        case .keyNotActivatable(let keyID, let why):
            "key \"\(keyID)\" cannot become the active key: \(why)"
        case .noSigningKey(let workspace):
            "workspace \"\(workspace)\" has no active key to sign with"
        case .invalidTokenRequest(let reason):
            "cannot sign: \(reason)"
        case .invalidText(let field):
            "\(field) must not contain NUL bytes"
        case .keyIDTaken(let keyID):
            "a key with id \"\(keyID)\" exists already"
        case .invalidKeyID(let keyID):
            "invalid key id \"\(keyID)\": use 1 to 128 printable characters without spaces"
        case .secretTooShort(let minimum, let actual):
            "the secret has \(actual) bytes; the workspace's algorithm needs at least \(minimum)"
        case .providerJobNotFound(let workspace, let kind, let keyID):
            "workspace \"\(workspace)\" has no provider job to \(kind) key \"\(keyID)\" (done already, or never asked for)"
        case .noProvider(let workspace):
            "workspace \"\(workspace)\" has no provider"
        case .invalidProviderSecretID(let id):
            "invalid provider secret id \"\(id)\": use 1 to 128 printable characters without spaces"
        }
    }
}
