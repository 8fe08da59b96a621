/// One change a store applies, in order, inside the transaction it asked the lifecycle in.
///
/// Each names its key by id; a store maps ids to rows. The changes of one decision never contradict each other,
/// and each key move is one the lifecycle allows (``KeyState/canTransition(to:)``).
public enum LifecycleChange: Hashable, Sendable {
    /// Create the workspace's row with this policy (always the first change of a creation).
    case createWorkspace(WorkspacePolicy)
    /// Store this policy as the workspace's.
    case setPolicy(WorkspacePolicy)
    /// Add a key.
    case insertKey(NewKey)
    /// A pending key becomes the active one, activated at the decision's moment.
    case activate(keyID: String)
    /// The active key stops signing; it verifies until `graceUntil`, exclusive.
    case demoteToGrace(keyID: String, graceUntil: Timestamp)
    /// The key never verifies again; its material is destroyed.
    case revoke(keyID: String, leaked: Bool)
    /// A key revoked already is marked leaked too.
    case markLeaked(keyID: String)
    /// A grace key whose window has closed verifies no more; its material is destroyed.
    case retire(keyID: String)
    /// Record a step for the provider to carry out.
    case addProviderJob(ProviderJob)
    /// Replace the provider job of the same kind and key id with this one (an attempt failed, it became urgent, or
    /// a reload lifted its block).
    case updateProviderJob(ProviderJob)
    /// The provider job (`kind`, `keyID`) is done.
    case removeProviderJob(kind: ProviderJob.Kind, keyID: String)

    /// Whether the change destroys a key's material: then the store must leave no copy of it in any of its files
    /// (a write-ahead log keeps old pages until it is checkpointed and truncated).
    public var destroysMaterial: Bool {
        switch self {
        case .revoke, .retire: true
        case .createWorkspace, .setPolicy, .insertKey, .activate, .demoteToGrace, .markLeaked, .addProviderJob,
            .updateProviderJob, .removeProviderJob:
            false
        }
    }
}

/// A key to add, and where its material comes from.
public struct NewKey: Hashable, Sendable {
    /// Where a new key's secret comes from.
    public enum Material: Hashable, Sendable {
        /// A fresh random secret of the algorithm's length, made and sealed by the store's sealer.
        case generated
        /// The secret the caller imports, or the provider made (sealed by the caller for this key id).
        case imported
    }

    public var keyID: String
    public var generation: Int64
    public var algorithm: SigningAlgorithm
    /// `.active` or `.pending`.
    public var state: KeyState
    public var material: Material
    /// The provider's id of the secret, when it came from the provider or an import bound it.
    public var providerSecretID: String?

    public init(
        keyID: String,
        generation: Int64,
        algorithm: SigningAlgorithm,
        state: KeyState,
        material: Material,
        providerSecretID: String? = nil
    ) {
        self.keyID = keyID
        self.generation = generation
        self.algorithm = algorithm
        self.state = state
        self.material = material
        self.providerSecretID = providerSecretID
    }
}
