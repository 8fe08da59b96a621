/// Who makes a workspace's secrets when the verifier must know them: Intercom creates the secret it checks tokens
/// with, so a rotation there is a call to its API; a hook is any other verifier, driven by an executable.
///
/// Written in the configuration and the database as `intercom` or `hook:/absolute/path`.
public enum ProviderKind: Hashable, Sendable, CustomStringConvertible {
    case intercom
    /// An executable the provider agent runs with `create`, `delete` or `list`.
    case hook(path: String)

    /// Parses `intercom` or `hook:/absolute/path`.
    public init(parsing text: String) throws(KeyrotError) {
        if text == "intercom" {
            self = .intercom
            return
        }
        guard text.hasPrefix("hook:") else {
            throw .invalidPolicy("provider \"\(text)\" is not \"intercom\" or \"hook:/path/to/executable\"")
        }
        let path = String(text.dropFirst("hook:".count))
        guard path.hasPrefix("/"), !path.contains("\0"), !path.contains(where: \.isNewline), path.utf8.count <= 1024
        else {
            throw .invalidPolicy("a hook provider needs an absolute path, like hook:/usr/local/lib/keyrotd/hook")
        }
        self = .hook(path: path)
    }

    public var description: String {
        switch self {
        case .intercom: "intercom"
        case .hook(let path): "hook:\(path)"
        }
    }

    /// The name keyrotd gives a secret it creates at the provider, so that a secret it made but never stored (an
    /// orphan) is recognizable there: `keyrotd <workspace> <key id>`.
    public static func secretName(workspace: WorkspaceName, keyID: String) -> String {
        "\(secretNamePrefix(workspace: workspace))\(keyID)"
    }

    /// The start of every secret name keyrotd gives in `workspace`.
    public static func secretNamePrefix(workspace: WorkspaceName) -> String {
        "keyrotd \(workspace.rawValue) "
    }
}
