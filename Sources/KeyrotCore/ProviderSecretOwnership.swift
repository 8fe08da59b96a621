/// Whose the secrets a provider lists are: keyrotd's (a key holds their id), orphans (named like the secrets keyrotd
/// creates, `keyrotd <workspace> <key id>`, but held by no key: a creation whose answer was lost or came too late),
/// or someone else's (made in the provider's dashboard, say), which keyrotd never deletes on its own.
public enum ProviderSecretOwnership {
    /// A secret as a provider lists it.
    public struct Listed: Hashable, Sendable {
        public var id: String
        public var name: String

        public init(id: String, name: String) {
            self.id = id
            self.name = name
        }
    }

    /// The secrets a sweep deletes: named by keyrotd (`namePrefix`, from ``ProviderKind/secretNamePrefix(workspace:)``)
    /// and held by no key (`managedIDs`, from ``WorkspaceState/managedProviderSecretIDs``).
    public static func orphans(among listed: [Listed], namePrefix: String, managedIDs: Set<String>) -> [Listed] {
        listed.filter { $0.name.hasPrefix(namePrefix) && !managedIDs.contains($0.id) }
    }

    /// The secrets keyrotd neither made nor manages: shown to an operator, who may adopt one with its id.
    public static func unmanaged(among listed: [Listed], namePrefix: String, managedIDs: Set<String>) -> [Listed] {
        listed.filter { !$0.name.hasPrefix(namePrefix) && !managedIDs.contains($0.id) }
    }
}
