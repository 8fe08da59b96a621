/// Whose a secret a provider lists is: keyrotd's (a key holds its id), an orphan (named like the secrets keyrotd
/// creates, `keyrotd <workspace> <key id>`, but held by no key: a creation whose answer was lost or came too late),
/// or someone else's (made in the provider's dashboard, say), which keyrotd never deletes on its own.
public enum ProviderSecretOwnership: Sendable, Equatable {
    case keyrotds
    /// Deleted by the agent's sweep.
    case orphan
    /// Shown to an operator, who may adopt it with its id.
    case someoneElses

    /// - Parameters:
    ///   - namePrefix: the names keyrotd gives a workspace's secrets (``ProviderKind/secretNamePrefix(workspace:)``).
    ///   - managedIDs: the ids its keys hold (``WorkspaceState/managedProviderSecretIDs``).
    public init(id: String, name: String, namePrefix: String, managedIDs: Set<String>) {
        if managedIDs.contains(id) {
            self = .keyrotds
        } else if name.hasPrefix(namePrefix) {
            self = .orphan
        } else {
            self = .someoneElses
        }
    }
}
