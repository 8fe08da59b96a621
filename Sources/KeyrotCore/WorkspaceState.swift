/// One workspace as the lifecycle sees it inside a store's transaction: its name, its policy and every key it has
/// ever had, oldest generation first.
///
/// - Important: A store builds this from what it re-read inside the transaction it will apply the decision in, so
///   the rules always judge the state that the changes land on.
public struct WorkspaceState: Hashable, Sendable {
    public var name: WorkspaceName
    public var policy: WorkspacePolicy
    /// Every key of the workspace, in every state, by generation.
    public var keys: [KeyRecord]
    /// The generation the next key of the workspace gets (one past the highest it has had).
    public var nextGeneration: Int64
    /// The steps the provider has yet to carry out (none for a workspace without a provider).
    public var providerJobs: [ProviderJob]

    public init(
        name: WorkspaceName,
        policy: WorkspacePolicy,
        keys: [KeyRecord],
        nextGeneration: Int64,
        providerJobs: [ProviderJob] = []
    ) {
        self.name = name
        self.policy = policy
        self.keys = keys
        self.nextGeneration = nextGeneration
        self.providerJobs = providerJobs
    }

    /// The secret being created at the provider, if any: the workspace's next active key.
    public var pendingCreation: ProviderJob? { providerJobs.first { $0.kind == .create } }

    /// The provider job of `kind` for `keyID`, if there is one.
    public func providerJob(_ kind: ProviderJob.Kind, keyID: String) -> ProviderJob? {
        providerJobs.first { $0.kind == kind && $0.keyID == keyID }
    }

    /// The key that signs; nil if the workspace has none (it is then due for rotation at once).
    public var activeKey: KeyRecord? { keys.first { $0.state == .active } }

    /// The key with id `keyID`, whatever its state.
    public func key(withID keyID: String) -> KeyRecord? {
        keys.first { $0.keyID == keyID }
    }

    /// When the workspace's scheduled rotation falls due: see ``KeyLifecycle/rotationDue(of:policy:now:)``.
    public func rotationDue(now: Timestamp) -> Timestamp {
        KeyLifecycle.rotationDue(of: activeKey, policy: policy, now: now, creationPending: pendingCreation != nil)
    }
}
