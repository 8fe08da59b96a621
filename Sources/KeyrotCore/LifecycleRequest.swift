/// Something asked of one workspace's keys: by the scheduler, by an operator over the control socket, or by the
/// configuration. ``KeyLifecycle/decide(_:for:at:keyIDsInUse:)`` turns it into changes or a refusal.
public enum LifecycleRequest: Hashable, Sendable {
    /// Make a new workspace with this policy and its first active key.
    case create(WorkspacePolicy, reason: String?)
    /// The configuration declares the workspace with this policy: create it, or change its policy to this one.
    case declare(WorkspacePolicy, reason: String?)
    /// Change an existing workspace's policy (a new algorithm rotates to a key of its own at once).
    case changePolicy(WorkspacePolicy, reason: String?)
    /// Replace the active key: when due (scheduled), now (manual), or now revoking the old one (emergency).
    case rotate(RotationMode, reason: String?)
    /// The key leaked: revoke it and mark it leaked; an active key is replaced at once.
    case flagLeak(keyID: String, reason: String?)
    /// Withdraw the key: it never verifies again; an active key is replaced at once.
    case revoke(keyID: String, reason: String?)
    /// Add a secret made elsewhere as a pending key, or as the active key at once.
    case importKey(ImportedKey)
    /// Make this pending key the active one now; the old active key goes to grace.
    case activate(keyID: String, reason: String?)
    /// Retire this grace key if its window has closed (a scheduled sweep: nothing happens otherwise).
    case retireExpiredGrace(keyID: String)
    /// The provider made the secret of creation job `keyID`: it becomes the active key (the secret itself never
    /// reaches the core, only its length).
    case providerCreated(keyID: String, providerSecretID: String, secretLength: Int)
    /// The provider deleted key `keyID`'s secret (or had none by that id any more): its deletion job is done.
    case providerDeleted(keyID: String)
    /// The agent deleted a secret keyrotd had created but never stored: recorded, nothing else changes.
    case providerOrphanDeleted(providerSecretID: String, name: String)
    /// An attempt at provider job (`kind`, `keyID`) failed; `jitter` is a random number in `0..<1`.
    case providerFailed(kind: ProviderJob.Kind, keyID: String, failure: ProviderFailure, jitter: Double)
}

/// What an import asks for; the secret itself never reaches the core, only its length.
public struct ImportedKey: Hashable, Sendable {
    /// The key's id; nil gives the workspace's next generated id.
    public var keyID: String?
    public var secretLength: Int
    /// Whether the key becomes the active one at once (else it waits as pending, verifying).
    public var activate: Bool
    /// The provider's id of the secret (one made in Intercom's dashboard, say), so that a rotation deletes it there.
    public var providerSecretID: String?

    public init(keyID: String?, secretLength: Int, activate: Bool, providerSecretID: String? = nil) {
        self.keyID = keyID
        self.secretLength = secretLength
        self.activate = activate
        self.providerSecretID = providerSecretID
    }
}
